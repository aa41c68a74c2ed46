"""Certificate pages: public verification (nothing personal beyond name, course, date,
JP), the learner's download and yearly ZIP (owner and permitted staff only), and the city
admins' search and revoke screens (their own city only)."""

import datetime
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.records import certificates
from lms.records.models import Certificate
from tests.factories import (
    CityFactory,
    LearnerFactory,
    city_admin,
    national_admin,
    trainer,
)
from tests.lms.records.test_certificates import make_completion


@pytest.fixture
def jakarta(db):
    return CityFactory(name="Jakarta", slug="jakarta")


@pytest.fixture
def sorong(db):
    return CityFactory(name="Sorong", slug="sorong")


@pytest.fixture
def learner(jakarta):
    return LearnerFactory(city=jakarta, full_name="Siti Rahmawati", email="siti@example.go.id")


def issue(learner, **kwargs) -> Certificate:
    return certificates.certificate_issue(completion=make_completion(learner, **kwargs))


def revoke(certificate, *, reason="Data kelulusan keliru"):
    certificates.certificate_revoke(by=national_admin(), certificate=certificate, reason=reason)


class VerifyPageTests:
    def test_a_valid_certificate_shows_name_course_date_jp_and_nothing_else(self, client, learner):
        certificate = issue(learner, title="Keamanan Siber Dasar", jp=6)
        response = client.get(f"/sertifikat/v/{certificate.verification_code}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "This certificate is valid." in html
        for shown in ("Siti Rahmawati", "Keamanan Siber Dasar", "25 March 2026", "6 JP"):
            assert shown in html, shown
        # Personal data beyond the name stays off the public page (UU PDP 27/2022).
        for hidden in (learner.nip, learner.email, "siti@", "Diskominfo", certificate.number):
            assert hidden not in html, hidden
        assert '<meta name="robots" content="noindex, nofollow">' in html
        assert response["X-Robots-Tag"] == "noindex, nofollow"

    def test_a_revoked_certificate_says_revoked_with_the_date(self, client, learner):
        certificate = issue(learner)
        revoke(certificate, reason="Alasan rahasia")
        certificate.refresh_from_db()
        response = client.get(f"/sertifikat/v/{certificate.verification_code}/")
        html = response.content.decode()
        assert response.status_code == 200
        assert "This certificate was revoked on" in html
        assert "It is no longer valid." in html
        assert "This certificate is valid." not in html
        assert "Alasan rahasia" not in html

    def test_indonesian_visitors_read_indonesian_dates(self, id_client, learner):
        certificate = issue(learner, completed_on=datetime.date(2026, 8, 17))
        response = id_client.get(f"/sertifikat/v/{certificate.verification_code}/")
        assert "17 Agustus 2026" in response.content.decode()

    @pytest.mark.parametrize(
        "code", ["AAAAAAAAAAAAAAAAAAAAAA", "short", "bad%20code%3Cscript%3E", "a" * 200]
    )
    def test_an_unknown_code_is_a_404_with_a_clear_message(self, client, learner, code):
        issue(learner)
        response = client.get(f"/sertifikat/v/{code}/")
        assert response.status_code == 404
        html = response.content.decode()
        assert "Certificate not found" in html
        assert "No certificate has this verification code." in html
        assert "noindex" in html

    def test_no_login_needed(self, client, learner):
        certificate = issue(learner)
        client.logout()
        assert client.get(f"/sertifikat/v/{certificate.verification_code}/").status_code == 200


class DownloadTests:
    def url(self, certificate):
        return reverse("certificates:download", args=[certificate.pk])

    def test_the_owner_downloads_the_pdf_rendered_on_first_download(self, client, learner):
        certificate = issue(learner)
        assert not certificate.pdf  # the task has not run: rendered now, then kept
        client.force_login(learner.user)
        response = client.get(self.url(certificate))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "sertifikat-00001-SERT-JAKARTA-2026.pdf" in response["Content-Disposition"]
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert Certificate.objects.get().pdf

    def test_another_learner_gets_a_404(self, client, learner, jakarta):
        certificate = issue(learner)
        client.force_login(LearnerFactory(city=jakarta).user)
        assert client.get(self.url(certificate)).status_code == 404

    def test_an_unknown_id_is_a_404(self, client, learner):
        client.force_login(learner.user)
        assert client.get("/sertifikat/999999/unduh/").status_code == 404

    def test_anonymous_visitors_are_sent_to_log_in(self, client, learner):
        response = client.get(self.url(issue(learner)))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    def test_the_supervisor_and_the_citys_admin_may_download(self, client, jakarta):
        boss = LearnerFactory(city=jakarta)
        staff = LearnerFactory(city=jakarta, supervisor=boss)
        certificate = issue(staff)
        for user in (boss.user, city_admin(jakarta)):
            client.force_login(user)
            assert client.get(self.url(certificate)).status_code == 200

    def test_another_citys_admin_and_a_trainer_get_a_404(self, client, learner, jakarta, sorong):
        certificate = issue(learner)
        for user in (city_admin(sorong), trainer(jakarta)):
            client.force_login(user)
            assert client.get(self.url(certificate)).status_code == 404

    def test_a_revoked_certificate_cannot_be_downloaded(self, client, learner):
        certificate = issue(learner)
        revoke(certificate)
        client.force_login(learner.user)
        response = client.get(self.url(certificate))
        assert response.status_code == 410
        assert "was revoked on" in response.content.decode()


class ZipTests:
    def test_all_valid_certificates_of_the_year_in_one_zip(self, client, learner, jakarta):
        issue(learner, title="Kursus A")
        issue(learner, title="Kursus B")
        revoke(issue(learner, title="Kursus C"))
        issue(learner, title="Kursus Lama", completed_on=datetime.date(2025, 6, 1))
        issue(LearnerFactory(city=jakarta), title="Milik orang lain")
        client.force_login(learner.user)
        response = client.get("/sertifikat/zip/2026/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert "sertifikat-2026.zip" in response["Content-Disposition"]
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        assert sorted(archive.namelist()) == [
            "sertifikat-00001-SERT-JAKARTA-2026.pdf",
            "sertifikat-00002-SERT-JAKARTA-2026.pdf",
        ]

    def test_a_year_without_certificates_says_so(self, client, learner):
        issue(learner)
        client.force_login(learner.user)
        response = client.get("/sertifikat/zip/2019/")
        assert response.status_code == 404
        assert "You have no valid certificates from 2019" in response.content.decode()

    def test_a_user_without_a_learner_profile_gets_the_message(self, client, jakarta):
        client.force_login(city_admin(jakarta))
        response = client.get("/sertifikat/zip/2026/")
        assert response.status_code == 404
        assert "no valid certificates" in response.content.decode()

    def test_a_year_that_is_not_a_number_is_a_404(self, client, learner):
        client.force_login(learner.user)
        assert client.get("/sertifikat/zip/dua-ribu/").status_code == 404


class MyCertificatesTests:
    def test_lists_certificates_with_download_and_zip_links(self, client, learner):
        certificate = issue(learner, title="Kursus A")
        revoke(issue(learner, title="Kursus B"))
        client.force_login(learner.user)
        html = client.get("/sertifikat/").content.decode()
        assert "Kursus A" in html and "Kursus B" in html
        assert reverse("certificates:download", args=[certificate.pk]) in html
        assert "/sertifikat/zip/2026/" in html
        assert "Revoked by your BKPSDM" in html

    def test_constant_queries_whatever_the_number_of_certificates(
        self, client, learner, django_assert_num_queries
    ):
        client.force_login(learner.user)
        issue(learner)
        client.get("/sertifikat/")  # warm the session and caches
        with CaptureQueriesContext(connection) as one:
            client.get("/sertifikat/")
        for n in range(6):
            issue(learner, title=f"Kursus {n}")
        # Certificates come with their completions in one query: the page costs the same
        # with seven certificates as with one (the rest is session, user and site chrome).
        assert len(one.captured_queries) <= 7
        with django_assert_num_queries(len(one.captured_queries)):
            response = client.get("/sertifikat/")
        assert response.content.decode().count("Download PDF") == 7


class AdminSearchTests:
    def test_the_city_admin_finds_by_nip_and_number(self, client, learner, jakarta):
        certificate = issue(learner)
        client.force_login(city_admin(jakarta))
        for query in (learner.nip, "00001/SERT"):
            response = client.get(reverse("records_certificates"), {"q": query})
            assert response.status_code == 200
            assert certificate.number in response.content.decode()

    def test_another_citys_admin_finds_nothing(self, client, learner, sorong):
        issue(learner)
        client.force_login(city_admin(sorong))
        response = client.get(reverse("records_certificates"), {"q": learner.nip})
        assert response.status_code == 200
        html = response.content.decode()
        assert "No certificate of your cities matches" in html
        assert "Siti Rahmawati" not in html

    def test_learners_cannot_open_the_screen(self, client, learner):
        client.force_login(learner.user)
        response = client.get(reverse("records_certificates"))
        assert response.status_code in (302, 403)


class AdminRevokeTests:
    def url(self, certificate):
        return reverse("records_certificate_revoke", args=[certificate.pk])

    def test_the_city_admin_revokes_and_the_public_page_says_so(self, client, learner, jakarta):
        certificate = issue(learner)
        client.force_login(city_admin(jakarta))
        assert client.get(self.url(certificate)).status_code == 200
        response = client.post(self.url(certificate), {"reason": "Nilai tidak sah"}, follow=True)
        assert response.status_code == 200
        assert "is revoked" in response.content.decode()
        certificate.refresh_from_db()
        assert certificate.is_revoked and certificate.revoked_reason == "Nilai tidak sah"
        public = client.get(f"/sertifikat/v/{certificate.verification_code}/")
        assert "This certificate was revoked on" in public.content.decode()

    def test_revoking_twice_is_a_clear_no_op(self, client, learner, jakarta):
        certificate = issue(learner)
        client.force_login(city_admin(jakarta))
        client.post(self.url(certificate), {"reason": "Pertama"})
        first = Certificate.objects.get().revoked_at
        response = client.post(self.url(certificate), {"reason": "Kedua"}, follow=True)
        assert "was already revoked; nothing changed" in response.content.decode()
        certificate.refresh_from_db()
        assert (certificate.revoked_at, certificate.revoked_reason) == (first, "Pertama")

    def test_another_citys_admin_is_refused(self, client, learner, sorong):
        certificate = issue(learner)
        client.force_login(city_admin(sorong))
        # Wagtail turns the refusal into a redirect to the dashboard with its message.
        for response in (
            client.get(self.url(certificate)),
            client.post(self.url(certificate), {"reason": "Iseng"}),
        ):
            assert response.status_code in (302, 403)
            if response.status_code == 302:
                assert response["Location"] == reverse("wagtailadmin_home")
        assert not Certificate.objects.get().is_revoked

    def test_an_empty_reason_is_refused_and_nothing_changes(self, client, learner, jakarta):
        certificate = issue(learner)
        client.force_login(city_admin(jakarta))
        response = client.post(self.url(certificate), {"reason": "   "})
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        assert not Certificate.objects.get().is_revoked

    def test_an_unknown_certificate_is_a_404(self, client, jakarta):
        client.force_login(city_admin(jakarta))
        assert client.get("/admin/sertifikat/999999/cabut/").status_code == 404
