"""A competition winner's certificate as a PDF, in the same look as the course certificates
(lms.records.certificate_pdf: page, colours, QR code, Indonesian dates are reused from
there), with its number and the public verification link. Rendered on download; the
certificate row holds everything it shows, so the PDF is the same each time."""

import io

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from lms.innovation.models import InnovationCertificate
from lms.records.certificate_pdf import (
    BRAND,
    PAGE_SIZE,
    _centred,
    _style,
    indonesian_date,
    qr_png,
)
from lms.records.selectors import local_date


def verification_url(certificate: InnovationCertificate) -> str:
    base = str(settings.WAGTAILADMIN_BASE_URL).rstrip("/")
    return base + reverse("innovation:certificate-verify", args=[certificate.verification_code])


def certificate_file_name(certificate: InnovationCertificate) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in certificate.number).strip("-")
    return f"sertifikat-inovasi-{safe}.pdf"


def innovation_certificate_pdf(certificate: InnovationCertificate) -> bytes:
    """The PDF. Reads the certificate's learner and proposal, competition and city (select
    them with it)."""
    proposal = certificate.proposal
    competition = proposal.competition
    city = competition.city
    url = verification_url(certificate)
    width, height = PAGE_SIZE
    buffer = io.BytesIO()
    with translation.override(settings.LANGUAGE_CODE):
        pdf = canvas.Canvas(buffer, pagesize=PAGE_SIZE, pageCompression=1)
        pdf.setTitle(_("Certificate %(number)s") % {"number": certificate.number})
        pdf.setAuthor(city.bkpsdm_name)
        pdf.setSubject(competition.title)
        pdf.setStrokeColor(BRAND)
        pdf.setLineWidth(3)
        pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)

        top = height - 26 * mm
        top = _centred(pdf, city.bkpsdm_name.upper(), _style("org", 13, bold=True), top=top)
        top = _centred(
            pdf,
            _("CERTIFICATE OF INNOVATION"),
            _style("title", 26, bold=True, color=BRAND),
            top=top - 6 * mm,
        )
        top = _centred(
            pdf,
            _("Number: %(number)s") % {"number": certificate.number},
            _style("number", 11),
            top=top - 2 * mm,
        )
        top = _centred(pdf, _("is awarded to"), _style("small", 11), top=top - 8 * mm)
        top = _centred(
            pdf, certificate.learner.full_name, _style("name", 22, bold=True), top=top - 2 * mm
        )
        top = _centred(
            pdf,
            _("as a winner (rank %(rank)s) of the innovation competition")
            % {"rank": proposal.rank},
            _style("small2", 11),
            top=top - 6 * mm,
        )
        top = _centred(
            pdf,
            competition.title,
            _style("competition", 16, bold=True, color=BRAND),
            top=top - 2 * mm,
        )
        _centred(
            pdf,
            _("with the proposal “%(title)s”") % {"title": proposal.title},
            _style("proposal", 11),
            top=top - 3 * mm,
        )

        issued_on = local_date(city.timezone, certificate.issued_at)
        pdf.setFont("Helvetica", 10.5)
        pdf.drawString(
            30 * mm,
            40 * mm,
            _("%(city)s, %(date)s") % {"city": city.name, "date": indonesian_date(issued_on)},
        )
        pdf.setFont("Helvetica-Bold", 10.5)
        pdf.drawString(30 * mm, 34 * mm, city.bkpsdm_name)
        qr_size = 38 * mm
        pdf.drawImage(
            ImageReader(io.BytesIO(qr_png(url))),
            width - 30 * mm - qr_size,
            24 * mm,
            width=qr_size,
            height=qr_size,
        )
        pdf.setFont("Helvetica", 7.5)
        pdf.drawRightString(width - 30 * mm, 21 * mm, _("Scan to check this certificate, or open:"))
        pdf.drawRightString(width - 30 * mm, 17.5 * mm, url)
        pdf.showPage()
        pdf.save()
    return buffer.getvalue()
