"""Certificates: number formats, issuing (idempotent, unique under concurrency), the PDF
(text and QR code), revoking, the ZIP, the backfill command and the completion flow."""

import datetime
import io
import threading
import uuid
import zipfile

import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone
from pypdf import PdfReader

from lms.people.models import validate_certificate_number_format
from lms.records import certificates
from lms.records.certificate_pdf import indonesian_date, qr_png
from lms.records.models import Certificate, CertificateCounter, CourseCompletion
from lms.records.services import AccessDenied
from tests.factories import CityFactory, LearnerFactory, city_admin, national_admin
from tests.lms.records.conftest import complete_all, post


def make_completion(
    learner,
    *,
    title: str = "Literasi Digital",
    completed_on: datetime.date = datetime.date(2026, 3, 25),
    jp: int = 4,
    city=None,
) -> CourseCompletion:
    """A completion row as the recorder writes it (without going through statements:
    these tests are about what happens after a completion exists)."""
    return CourseCompletion.objects.create(
        learner=learner,
        city=city or learner.city,
        course_key=uuid.uuid4(),
        course_title=title,
        organiser="Diskominfo Kota Jakarta",
        learning_form="e_learning",
        jp=jp,
        started_on=completed_on - datetime.timedelta(days=3),
        completed_on=completed_on,
        year=completed_on.year,
        completed_at=timezone.make_aware(
            datetime.datetime.combine(completed_on, datetime.time(10))
        ),
        criteria={"lessons": []},
    )


def pdf_text(certificate: Certificate) -> str:
    with certificate.pdf.open("rb") as file:
        reader = PdfReader(io.BytesIO(file.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_qr_codes(certificate: Certificate) -> list[str]:
    """Decode the QR code image embedded in the PDF (the image as stored in the file)."""
    with certificate.pdf.open("rb") as file:
        reader = PdfReader(io.BytesIO(file.read()))
    texts = []
    for image in reader.pages[0].images:
        texts += [code.text for code in zxingcpp.read_barcodes(image.image.convert("L"))]
    return texts


@pytest.fixture
def jakarta(db):
    return CityFactory(name="Jakarta", slug="jakarta", bkpsdm_name="BKPSDM Provinsi DKI Jakarta")


@pytest.fixture
def sorong(db):
    return CityFactory(name="Sorong", slug="sorong", bkpsdm_name="BKPSDM Kota Sorong")


@pytest.fixture
def learner(jakarta):
    return LearnerFactory(city=jakarta, full_name="Siti Rahmawati", email="siti@example.go.id")


class NumberFormatTests:
    def test_the_default_format_is_valid(self, jakarta):
        jakarta.full_clean()
        assert jakarta.certificate_number_format == "{seq:05d}/SERT/{city}/{year}"

    @pytest.mark.parametrize(
        ("value", "code", "fragment"),
        [
            ("{seq}/{city}/{year}/{nip}", "unknown", "Unknown placeholder {nip}"),
            ("{seq}/{city}/{year}/{}", "unknown", "Unknown placeholder {}"),
            ("{seq.real}/{city}/{year}", "unknown", "{seq.real}"),
            ("SERT/{city}/{year}", "missing", "must contain {seq}"),
            ("{seq}/SERT", "missing", "{year}, {city}"),
            ("{seq/{city}/{year}", "braces", "unmatched brace"),
            ("{seq:q}/{city}/{year}", "spec", "{seq:05d}"),
            ("{seq}/SERTIFIKAT-KOMPETENSI-DIGITAL/{city}/{year}", "length", "40 characters"),
        ],
    )
    def test_a_bad_format_is_refused_with_a_clear_message(self, value, code, fragment):
        with pytest.raises(ValidationError) as caught:
            validate_certificate_number_format(value)
        assert caught.value.code == code
        assert fragment in caught.value.messages[0]

    def test_the_city_form_refuses_an_unknown_placeholder(self, jakarta):
        jakarta.certificate_number_format = "{seq}/{kota}/{year}/{city}"
        with pytest.raises(ValidationError) as caught:
            jakarta.full_clean()
        assert "certificate_number_format" in caught.value.message_dict
        assert "{kota}" in caught.value.message_dict["certificate_number_format"][0]

    def test_course_initials_fill_the_course_placeholder(self):
        number = certificates.certificate_number_render(
            number_format="{city}-{course}-{year}-{seq:03d}",
            seq=7,
            year=2026,
            city_slug="bukittinggi",
            course_title="Literasi Digital: Keamanan Siber",
        )
        assert number == "BUKITTINGGI-LDKS-2026-007"


class IssueTests:
    def test_numbers_count_per_city_and_year_and_reach_the_completion(
        self, jakarta, sorong, learner
    ):
        other = LearnerFactory(city=jakarta)
        in_sorong = LearnerFactory(city=sorong)
        first = certificates.certificate_issue(completion=make_completion(learner))
        second = certificates.certificate_issue(completion=make_completion(other))
        next_year = certificates.certificate_issue(
            completion=make_completion(learner, completed_on=datetime.date(2027, 1, 2))
        )
        sorong_first = certificates.certificate_issue(completion=make_completion(in_sorong))
        assert [first.number, second.number, next_year.number, sorong_first.number] == [
            "00001/SERT/JAKARTA/2026",
            "00002/SERT/JAKARTA/2026",
            "00001/SERT/JAKARTA/2027",
            "00001/SERT/SORONG/2026",
        ]
        # SIASN exports read the number from the completion.
        assert CourseCompletion.objects.get(pk=first.completion_id).certificate_number == (
            first.number
        )
        assert len(first.verification_code) >= 16
        assert first.verification_code != second.verification_code

    def test_issuing_twice_gives_the_same_certificate(self, learner):
        completion = make_completion(learner)
        first = certificates.certificate_issue(completion=completion)
        again = certificates.certificate_issue(completion=completion)
        assert again.pk == first.pk
        assert again.number == first.number
        assert Certificate.objects.count() == 1
        assert CertificateCounter.objects.get().last == 1

    def test_the_city_format_is_used(self, jakarta, learner):
        jakarta.certificate_number_format = "BKPSDM-{city}/{course}/{seq}/{year}"
        jakarta.save()
        certificate = certificates.certificate_issue(
            completion=make_completion(learner, title="Literasi Digital")
        )
        assert certificate.number == "BKPSDM-JAKARTA/LD/1/2026"

    def test_a_number_too_long_for_siasn_is_refused_and_nothing_is_written(self, db):
        city = CityFactory(slug="kabupaten-kepulauan-seribu-utara-dan-selatan")
        completion = make_completion(LearnerFactory(city=city))
        before = completion.certificate_number
        with pytest.raises(ValidationError) as caught:
            certificates.certificate_issue(completion=completion)
        assert "Shorten the certificate number format" in caught.value.messages[0]
        assert not Certificate.objects.exists()
        assert not CertificateCounter.objects.filter(last__gt=0).exists()
        completion.refresh_from_db()
        assert completion.certificate_number == before


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises all writers; needs PostgreSQL"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class ConcurrencyTests:
    def _run(self, targets):
        barrier = threading.Barrier(len(targets))
        errors = []

        def work(target):
            try:
                barrier.wait(timeout=10)
                target()
            except Exception as exc:  # reported below, with the thread's exception
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=work, args=(target,)) for target in targets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []

    def test_concurrent_issues_get_distinct_consecutive_numbers(self):
        city = CityFactory(slug="palu")
        completions = [make_completion(LearnerFactory(city=city)) for _ in range(8)]
        self._run([(lambda c=c: certificates.certificate_issue(completion=c)) for c in completions])
        numbers = sorted(Certificate.objects.values_list("sequence", "number"))
        assert [sequence for sequence, _ in numbers] == list(range(1, 9))
        assert len({number for _, number in numbers}) == 8
        assert CertificateCounter.objects.get(city=city, year=2026).last == 8

    def test_concurrent_issues_of_one_completion_make_one_certificate(self):
        completion = make_completion(LearnerFactory(city=CityFactory(slug="semarang")))
        self._run([lambda: certificates.certificate_issue(completion=completion)] * 4)
        assert Certificate.objects.filter(completion=completion).count() == 1
        assert CertificateCounter.objects.get().last == 1


class PdfTests:
    def test_the_pdf_carries_name_nip_number_course_dates_and_city(self, learner, settings):
        settings.WAGTAILADMIN_BASE_URL = "https://belajar.example.go.id/"
        certificate = certificates.certificate_issue(completion=make_completion(learner))
        certificate = certificates.certificate_pdf_ensure(certificate=certificate)
        text = pdf_text(certificate)
        for expected in (
            "Siti Rahmawati",
            learner.nip,
            "00001/SERT/JAKARTA/2026",
            "Literasi Digital",
            "Diskominfo Kota Jakarta",
            "4 JP",
            "22 Maret 2026",
            "25 Maret 2026",
            "BKPSDM Provinsi DKI Jakarta",
        ):
            assert expected in text, expected
        with certificate.pdf.open("rb") as file:
            page = PdfReader(io.BytesIO(file.read())).pages[0]
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points

    def test_the_qr_code_decodes_to_the_public_verification_url(self, learner, settings):
        settings.WAGTAILADMIN_BASE_URL = "https://belajar.example.go.id/"
        certificate = certificates.certificate_pdf_ensure(
            certificate=certificates.certificate_issue(completion=make_completion(learner))
        )
        expected = f"https://belajar.example.go.id/sertifikat/v/{certificate.verification_code}/"
        assert pdf_qr_codes(certificate) == [expected]
        assert expected in pdf_text(certificate)

    def test_the_qr_png_is_what_the_pdf_embeds(self):
        from PIL import Image

        image = Image.open(io.BytesIO(qr_png("https://example.org/sertifikat/v/abc/")))
        assert [c.text for c in zxingcpp.read_barcodes(image.convert("L"))] == [
            "https://example.org/sertifikat/v/abc/"
        ]

    def test_rendered_once_and_kept_in_storage(self, learner):
        certificate = certificates.certificate_issue(completion=make_completion(learner))
        assert not certificate.pdf
        rendered = certificates.certificate_pdf_ensure(certificate=certificate)
        name = rendered.pdf.name
        assert name.startswith("certificates/2026/") and name.endswith(".pdf")
        # The file name does not reveal the public verification code.
        assert rendered.verification_code not in name
        again = certificates.certificate_pdf_ensure(certificate=Certificate.objects.get())
        assert again.pdf.name == name

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (datetime.date(2026, 11, 25), "25 November 2026"),
            (datetime.date(2026, 1, 1), "1 Januari 2026"),
            (datetime.date(2026, 8, 17), "17 Agustus 2026"),
        ],
    )
    def test_indonesian_dates(self, day, expected):
        assert indonesian_date(day) == expected


class RevokeTests:
    @pytest.fixture
    def certificate(self, learner):
        return certificates.certificate_issue(completion=make_completion(learner))

    def test_the_city_admin_revokes_with_a_reason(self, jakarta, certificate):
        admin = city_admin(jakarta)
        assert certificates.certificate_revoke(
            by=admin, certificate=certificate, reason="  Data kelulusan keliru  "
        )
        certificate.refresh_from_db()
        assert certificate.is_revoked
        assert certificate.revoked_reason == "Data kelulusan keliru"
        assert certificate.revoked_by == admin

    def test_revoking_twice_changes_nothing(self, jakarta, certificate):
        admin = city_admin(jakarta)
        certificates.certificate_revoke(by=admin, certificate=certificate, reason="Keliru")
        first = Certificate.objects.get().revoked_at
        assert not certificates.certificate_revoke(
            by=national_admin(), certificate=certificate, reason="Lagi"
        )
        certificate.refresh_from_db()
        assert (certificate.revoked_at, certificate.revoked_reason) == (first, "Keliru")
        assert certificate.revoked_by == admin

    def test_another_citys_admin_is_refused(self, sorong, certificate):
        with pytest.raises(AccessDenied):
            certificates.certificate_revoke(
                by=city_admin(sorong), certificate=certificate, reason="Keliru"
            )
        assert not Certificate.objects.get().is_revoked

    def test_a_learner_is_refused(self, learner, certificate):
        with pytest.raises(AccessDenied):
            certificates.certificate_revoke(
                by=learner.user, certificate=certificate, reason="Keliru"
            )
        assert not Certificate.objects.get().is_revoked

    def test_a_reason_is_required(self, jakarta, certificate):
        with pytest.raises(ValidationError) as caught:
            certificates.certificate_revoke(
                by=city_admin(jakarta), certificate=certificate, reason="   "
            )
        assert "reason" in caught.value.message_dict
        assert not Certificate.objects.get().is_revoked

    def test_a_national_admin_may_revoke(self, certificate):
        assert certificates.certificate_revoke(
            by=national_admin(), certificate=certificate, reason="Keliru"
        )


class ZipTests:
    def test_one_pdf_per_certificate_named_by_number(self, learner):
        issued = [
            certificates.certificate_issue(completion=make_completion(learner, title=title))
            for title in ("Kursus A", "Kursus B")
        ]
        archive = certificates.certificates_zip(issued)
        assert archive.count == 2
        with zipfile.ZipFile(archive.file) as zipped:
            names = sorted(zipped.namelist())
            assert names == [
                "sertifikat-00001-SERT-JAKARTA-2026.pdf",
                "sertifikat-00002-SERT-JAKARTA-2026.pdf",
            ]
            assert zipped.read(names[0]).startswith(b"%PDF")


class IssueCommandTests:
    def test_backfills_in_completion_order_and_renders_pdfs(self, learner, jakarta):
        later = make_completion(learner, completed_on=datetime.date(2026, 5, 2))
        earlier = make_completion(learner, completed_on=datetime.date(2026, 2, 1))
        out = io.StringIO()
        call_command("issue_certificates", "--no-progress", stdout=out)
        assert "2 certificates issued, 2 PDFs rendered, 0 failed" in out.getvalue()
        assert earlier.certificate.sequence == 1
        assert later.certificate.sequence == 2
        assert all(c.pdf for c in Certificate.objects.all())
        out = io.StringIO()
        call_command("issue_certificates", "--no-progress", stdout=out)
        assert "0 certificates issued, 0 PDFs rendered" in out.getvalue()

    def test_only_the_city_asked_for(self, learner, sorong):
        make_completion(learner)
        make_completion(LearnerFactory(city=sorong))
        call_command(
            "issue_certificates", "--no-progress", "--city", "sorong", stdout=io.StringIO()
        )
        assert list(Certificate.objects.values_list("city__slug", flat=True)) == ["sorong"]

    def test_an_unknown_city_is_a_clear_error(self, db):
        with pytest.raises(CommandError, match="No city with the slug"):
            call_command("issue_certificates", "--city", "atlantis", stdout=io.StringIO())


class CompletionFlowTests:
    """A learner completes a course: after commit the certificate is issued, its PDF
    rendered, and the notifications app is told (it sends the one email; see
    test_statements)."""

    def test_completing_a_course_issues_the_certificate(
        self, learner_client, world, django_capture_on_commit_callbacks, monkeypatch
    ):
        from lms.notifications import services as notifications_services

        told = []
        monkeypatch.setattr(notifications_services, "notify_certificate_issued", told.append)

        with django_capture_on_commit_callbacks(execute=True):
            response = post(learner_client, complete_all(world.course))
        assert response.status_code == 200, response.content
        completion = CourseCompletion.objects.get()
        certificate = completion.certificate
        assert certificate.number == "00001/SERT/JAKARTA/" + str(completion.year)
        assert completion.certificate_number == certificate.number
        assert certificate.pdf
        assert world.learner.full_name in pdf_text(certificate)
        assert told == [certificate]

    def test_the_pdf_is_ready_after_commit(
        self, learner_client, world, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            post(learner_client, complete_all(world.course))
        assert Certificate.objects.get().pdf
