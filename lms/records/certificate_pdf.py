"""The certificate as a PDF (A4 landscape), drawn with ReportLab, with a QR code (segno)
that links to the public verification page.

Certificates are official Indonesian documents: they are always written in the site's
first language (settings.LANGUAGE_CODE), whatever language the viewer chose, with
Indonesian dates ("25 November 2026"). Standard PDF fonts only, so the PDF needs no font
files on the machine.
"""

import datetime
import io
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from lms.records.selectors import local_date

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
PAGE_SIZE = landscape(A4)
BRAND = colors.HexColor("#0b4f8a")


def indonesian_date(value: datetime.date) -> str:
    """25 November 2026: the form Indonesian official documents use."""
    return f"{value.day} {MONTHS_ID[value.month - 1]} {value.year}"


def qr_png(url: str) -> bytes:
    """The QR code of a URL as a PNG; the PDF embeds exactly these bytes."""
    buffer = io.BytesIO()
    # Medium error correction survives a creased or slightly stained printout.
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def _style(name: str, size: float, *, bold: bool = False, color=colors.black) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName="Helvetica-Bold" if bold else "Helvetica",
        fontSize=size,
        leading=size * 1.25,
        alignment=TA_CENTER,
        textColor=color,
    )


def _centred(pdf: canvas.Canvas, text: str, style: ParagraphStyle, *, top: float) -> float:
    """Draw a wrapped, centred paragraph whose top is at ``top``; return its bottom."""
    width, _height = PAGE_SIZE
    paragraph = Paragraph(escape(text), style)
    _w, height = paragraph.wrap(width - 60 * mm, 200 * mm)
    paragraph.drawOn(pdf, 30 * mm, top - height)
    return top - height


def certificate_pdf_render(certificate, *, verification_url: str) -> bytes:
    """The certificate's PDF. Reads the certificate, its completion, learner and city
    (select them with it)."""
    completion = certificate.completion
    learner = completion.learner
    city = certificate.city
    width, height = PAGE_SIZE
    buffer = io.BytesIO()
    with translation.override(settings.LANGUAGE_CODE):
        pdf = canvas.Canvas(buffer, pagesize=PAGE_SIZE, pageCompression=1)
        pdf.setTitle(_("Certificate %(number)s") % {"number": certificate.number})
        pdf.setAuthor(city.bkpsdm_name)
        pdf.setSubject(completion.course_title)

        pdf.setStrokeColor(BRAND)
        pdf.setLineWidth(3)
        pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
        pdf.setLineWidth(0.8)
        pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

        top = height - 26 * mm
        top = _centred(pdf, city.bkpsdm_name.upper(), _style("org", 13, bold=True), top=top)
        top = _centred(
            pdf, _("CERTIFICATE"), _style("title", 30, bold=True, color=BRAND), top=top - 6 * mm
        )
        top = _centred(
            pdf,
            _("Number: %(number)s") % {"number": certificate.number},
            _style("number", 11),
            top=top - 2 * mm,
        )
        top = _centred(pdf, _("is awarded to"), _style("small", 11), top=top - 8 * mm)
        top = _centred(pdf, learner.full_name, _style("name", 22, bold=True), top=top - 2 * mm)
        top = _centred(
            pdf, _("NIP %(nip)s") % {"nip": learner.nip}, _style("nip", 11), top=top - 1 * mm
        )
        top = _centred(pdf, _("for completing the course"), _style("small2", 11), top=top - 6 * mm)
        top = _centred(
            pdf,
            completion.course_title,
            _style("course", 16, bold=True, color=BRAND),
            top=top - 2 * mm,
        )
        details = [
            _("Learning form: %(form)s · %(jp)s JP")
            % {"form": completion.get_learning_form_display(), "jp": completion.jp},
            _("Organiser: %(organiser)s") % {"organiser": completion.organiser},
            _("From %(start)s to %(end)s")
            % {
                "start": indonesian_date(completion.started_on),
                "end": indonesian_date(completion.completed_on),
            },
        ]
        detail_style = _style("details", 10.5)
        top -= 4 * mm
        for line in details:
            top = _centred(pdf, line, detail_style, top=top - 1 * mm)

        # Signature block on the left, QR code on the right, both above the bottom border.
        pdf.setFont("Helvetica", 10.5)
        issued_on = local_date(city.timezone, certificate.issued_at)
        pdf.drawString(
            30 * mm,
            40 * mm,
            _("%(city)s, %(date)s") % {"city": city.name, "date": indonesian_date(issued_on)},
        )
        pdf.setFont("Helvetica-Bold", 10.5)
        pdf.drawString(30 * mm, 34 * mm, city.bkpsdm_name)

        qr_size = 38 * mm
        qr_left = width - 30 * mm - qr_size
        pdf.drawImage(
            ImageReader(io.BytesIO(qr_png(verification_url))),
            qr_left,
            24 * mm,
            width=qr_size,
            height=qr_size,
        )
        pdf.setFont("Helvetica", 7.5)
        pdf.drawRightString(width - 30 * mm, 21 * mm, _("Scan to check this certificate, or open:"))
        pdf.drawRightString(width - 30 * mm, 17.5 * mm, verification_url)
        pdf.showPage()
        pdf.save()
    return buffer.getvalue()
