"""Certificates of course completion: issuing and numbering, the PDF, revoking (services,
writes), and the reads the certificate views need (selectors).

A certificate is issued once per completion, after the completion committed, by the
``certificate_issue`` task (lms.records.tasks); ``issue_certificates`` backfills. Its
number follows the issuing city's format (City.certificate_number_format) with a
sequence per city and year; the sequence comes from a counter row locked with
SELECT ... FOR UPDATE, so concurrent issues never share a number, and the unique
constraints on Certificate are the last guard. The number is copied onto
CourseCompletion.certificate_number, which the SIASN export carries.

The PDF is rendered once, by the task, and kept in the default storage (filesystem or
S3). Should it be missing (the task has not run yet, or failed), the first download
renders it: certificate_pdf_ensure.
"""

import re
import tempfile
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.people import permissions
from lms.people.models import CERTIFICATE_NUMBER_MAX_LENGTH, LearnerProfile
from lms.records.certificate_pdf import certificate_pdf_render
from lms.records.models import Certificate, CertificateCounter, CourseCompletion
from lms.records.services import AccessDenied

# A verification code is 22 URL-safe characters; anything else is not worth a query.
VERIFICATION_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
SEARCH_LIMIT = 50


# --- numbers ------------------------------------------------------------------------------


def course_initials(title: str) -> str:
    """“Literasi Digital Nasional” → LDN: short enough for a certificate number."""
    words = re.findall(r"[^\W_]+", title)
    return "".join(word[0] for word in words).upper()[:8] or "X"


def certificate_number_render(
    *, number_format: str, seq: int, year: int, city_slug: str, course_title: str
) -> str:
    """The number for this sequence in a format validated by
    lms.people.models.validate_certificate_number_format."""
    return number_format.format(
        seq=seq,
        year=year,
        city=city_slug.upper(),
        course=course_initials(course_title),
    )


def _next_sequence(*, city_id: int, year: int) -> int:
    """The next number of the city's year, under the counter row's lock (held until the
    caller's transaction ends). On SQLite the transaction's write lock serialises instead."""
    CertificateCounter.objects.bulk_create(
        [CertificateCounter(city_id=city_id, year=year, last=0)], ignore_conflicts=True
    )
    counters = CertificateCounter.objects.filter(city_id=city_id, year=year)
    if connection.features.has_select_for_update:
        counters = counters.select_for_update()
    counter = counters.get()
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


# --- services (writes) --------------------------------------------------------------------


@transaction.atomic
def certificate_issue(*, completion: CourseCompletion) -> Certificate:
    """The completion's certificate, issued now if it has none (idempotent: a second call,
    or a concurrent one, returns the same certificate). Copies the number onto the
    completion for SIASN."""
    completions = CourseCompletion.objects.select_related("city")
    if connection.features.has_select_for_update:
        # Two issuers of one completion queue here; the second then finds the certificate.
        completions = completions.select_for_update(of=("self",))
    completion = completions.get(pk=completion.pk)
    existing = Certificate.objects.filter(completion=completion).first()
    if existing is not None:
        return existing
    city = completion.city
    sequence = _next_sequence(city_id=city.pk, year=completion.year)
    number = certificate_number_render(
        number_format=city.certificate_number_format,
        seq=sequence,
        year=completion.year,
        city_slug=city.slug,
        course_title=completion.course_title,
    )
    if len(number) > CERTIFICATE_NUMBER_MAX_LENGTH:
        raise ValidationError(
            _(
                "The certificate number %(number)s is longer than %(max)d characters. Shorten "
                "the certificate number format of %(city)s."
            ),
            code="number_too_long",
            params={"number": number, "max": CERTIFICATE_NUMBER_MAX_LENGTH, "city": city.name},
        )
    certificate = Certificate(
        completion=completion,
        city=city,
        year=completion.year,
        sequence=sequence,
        number=number,
        issued_at=timezone.now(),
    )
    certificate.full_clean(exclude=["completion", "city"])
    try:
        with transaction.atomic():
            certificate.save(force_insert=True)
            completion.certificate_number = number
            completion.save(update_fields=["certificate_number"])
    except IntegrityError:
        # The unique constraints are the last guard; the counter lock makes this unreachable
        # unless two cities' formats produce the same text.
        raise ValidationError(
            _(
                "The certificate number %(number)s is already in use. Change the certificate "
                "number format of %(city)s so that its numbers differ from other cities'."
            ),
            code="number_taken",
            params={"number": number, "city": city.name},
        ) from None
    return certificate


def certificate_verification_url(certificate: Certificate) -> str:
    """The absolute public URL the QR code carries."""
    base = str(settings.WAGTAILADMIN_BASE_URL).rstrip("/")
    return base + reverse("certificates:verify", args=[certificate.verification_code])


def certificate_pdf_ensure(*, certificate: Certificate) -> Certificate:
    """The certificate with its PDF rendered and stored (rendered once; later calls only
    read). Safe to call concurrently: the first stored file wins, others are deleted."""
    if certificate.pdf:
        return certificate
    certificate = Certificate.objects.select_related("completion__learner", "city").get(
        pk=certificate.pk
    )
    if certificate.pdf:
        return certificate
    content = certificate_pdf_render(
        certificate, verification_url=certificate_verification_url(certificate)
    )
    certificate.pdf.save("certificate.pdf", ContentFile(content), save=False)
    won = Certificate.objects.filter(pk=certificate.pk, pdf="").update(pdf=certificate.pdf.name)
    if not won:
        certificate.pdf.delete(save=False)
        certificate.refresh_from_db(fields=["pdf"])
    return certificate


def certificate_revoke(*, by, certificate: Certificate, reason: str) -> bool:
    """Revoke a certificate with a reason; only the issuing city's admins (and national
    admins) may. Returns False, changing nothing, when it was already revoked."""
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if not permissions.can_manage_city(by, certificate.city_id):
            raise AccessDenied(_("You may only revoke certificates issued by your own city."))
        if certificate.revoked_at is not None:
            return False
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(
                {"reason": _("Say why the certificate is revoked; the reason is kept on record.")}
            )
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = reason
        certificate.revoked_by = by if getattr(by, "is_authenticated", False) else None
        certificate.full_clean(exclude=["completion", "city", "revoked_by"])
        certificate.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    return True


# --- selectors (reads) --------------------------------------------------------------------


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate a verification code names, for the public page."""
    if not VERIFICATION_CODE_RE.match(code or ""):
        return None
    return (
        Certificate.objects.select_related("completion__learner")
        .filter(verification_code=code)
        .first()
    )


def certificates_of_learner(
    profile: LearnerProfile, *, year: int | None = None
) -> QuerySet[Certificate]:
    """A learner's certificates, newest first, with their completions (one query)."""
    certificates = Certificate.objects.select_related("completion").filter(
        completion__learner=profile
    )
    if year is not None:
        certificates = certificates.filter(year=year)
    return certificates.order_by("-year", "-issued_at", "-pk")


def certificate_years(profile: LearnerProfile) -> list[int]:
    """Years in which the learner has a valid certificate, newest first."""
    return list(
        Certificate.objects.filter(completion__learner=profile, revoked_at__isnull=True)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )


def certificate_for_download(*, user, pk: int) -> Certificate | None:
    """The certificate if this user may download it: its owner, or staff who may see the
    learner (lms.people.permissions.can_view_learner). None otherwise, so a stranger cannot
    tell a certificate that exists from one that does not."""
    certificate = (
        Certificate.objects.select_related("completion__learner", "city").filter(pk=pk).first()
    )
    if certificate is None:
        return None
    if not permissions.can_view_learner(user, certificate.completion.learner):
        return None
    return certificate


def certificates_search(*, user, query: str) -> QuerySet[Certificate]:
    """Certificates the user may revoke (issued by the cities they manage) whose number
    contains the query or whose learner has this NIP."""
    query = (query or "").strip()
    if not query:
        return Certificate.objects.none()
    condition = Q(number__icontains=query)
    nip = re.sub(r"\s+", "", query)
    if nip.isdigit():
        condition |= Q(completion__learner__nip=nip)
    return (
        Certificate.objects.select_related("completion__learner", "city")
        .filter(city__in=permissions.manageable_cities(user))
        .filter(condition)
        .order_by("-issued_at", "-pk")[:SEARCH_LIMIT]
    )


def certificate_file_name(certificate: Certificate) -> str:
    """A file name for the PDF: the number, with slashes and other separators as dashes."""
    return "sertifikat-" + re.sub(r"[^A-Za-z0-9._-]+", "-", certificate.number).strip("-") + ".pdf"


@dataclass
class CertificateArchive:
    file: object  # an open temporary file, positioned at the start
    count: int


def certificates_zip(certificates) -> CertificateArchive:
    """One ZIP of these certificates' PDFs, built in a temporary file (spooled to disk past
    a few MB) so that a learner with many certificates does not fill the memory. PDFs not
    rendered yet are rendered first."""
    # Not a context manager: the open file is handed to the response, which closes it.
    archive = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115
    count = 0
    names: set[str] = set()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for certificate in certificates:
            certificate = certificate_pdf_ensure(certificate=certificate)
            name = certificate_file_name(certificate)
            if name in names:
                name = name.removesuffix(".pdf") + f"-{certificate.pk}.pdf"
            names.add(name)
            with certificate.pdf.open("rb") as pdf:
                zipped.writestr(name, pdf.read())
            count += 1
    archive.seek(0)
    return CertificateArchive(file=archive, count=count)
