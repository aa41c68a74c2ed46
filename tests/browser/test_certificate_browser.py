"""A learner finishes a course in the browser and downloads its certificate on a phone.

The lesson is completed by viewing; the statement is sent from the page with the
learner's session and CSRF token, as the lesson's player script does. The live server
commits for real, so the certificate is issued (and its PDF rendered) after commit, by
the task, exactly as in production with the inline task backend.
"""

import io
import re
import uuid
from dataclasses import dataclass

import pytest
from pypdf import PdfReader

PASSWORD = "rahasia-uji-123"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@dataclass(frozen=True)
class Setup:
    nip: str
    full_name: str
    lesson_url: str
    statement: dict


@pytest.fixture
def finished_course_setup(live_server) -> Setup:
    # live_server first: it must start (and share the test database) before the browser.
    from courses import services as course_services
    from lms.records.xapi import ADL, activity_iri
    from tests.factories import CityFactory, LearnerFactory

    index = course_services.curriculum_index_install(title="Kurikulum ASN Digital")
    city = CityFactory(name="Kota Palu", slug="palu", bkpsdm_name="BKPSDM Kota Palu")
    curriculum = course_services.city_curriculum_create(
        index=index, city=city, title="Kurikulum Kota Palu"
    )
    course = course_services.course_create(
        parent=curriculum,
        title="Etika Bermedia Sosial",
        slug="etika-bermedia-sosial",
        summary="Kursus singkat.",
        jp_value=2,
        competency_area="digital_literacy",
        estimated_duration=3600,
    )
    lesson = course_services.lesson_create(
        course=course,
        title="Membaca",
        slug="membaca",
        body=[{"type": "paragraph", "value": "<p>Bacalah dengan saksama.</p>"}],
    )
    learner = LearnerFactory(city=city, password=PASSWORD, full_name="Nur Aisyah Lamarauna")
    return Setup(
        nip=learner.nip,
        full_name=learner.full_name,
        lesson_url=lesson.get_url(),
        statement={
            "id": str(uuid.uuid4()),
            "verb": {"id": ADL + "experienced", "display": {"en-US": "experienced"}},
            "object": {
                "objectType": "Activity",
                "id": activity_iri("lesson", lesson.translation_key),
            },
        },
    )


SEND_STATEMENT = """async (statement) => {
    const token = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    const response = await fetch("/xapi/statements", {
        method: "POST",
        credentials: "same-origin",
        headers: {
            "Content-Type": "application/json",
            "X-Experience-API-Version": "1.0.3",
            "X-CSRFToken": token ? token.split("=")[1] : "",
        },
        body: JSON.stringify(statement),
    });
    return response.status;
}"""


class CertificateDownloadTests:
    def test_a_learner_finishes_a_course_and_downloads_the_certificate(
        self, finished_course_setup, phone_page, results_dir
    ):
        setup = finished_course_setup
        page = phone_page
        page.goto("/akun/masuk/")
        page.locator("#id_username").fill(setup.nip)
        page.locator("#id_password").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("#id_password").press("Enter")

        page.goto(setup.lesson_url)
        assert page.evaluate(SEND_STATEMENT, setup.statement) == 200

        page.goto("/sertifikat/")
        assert page.locator("html").get_attribute("lang") == "id"
        link = page.locator("a[href$='/unduh/']")
        assert link.count() == 1
        assert "Etika Bermedia Sosial" in page.content()
        page.screenshot(path=results_dir / "certificates-360x740.png")
        with page.expect_download() as downloading:
            link.click()
        download = downloading.value
        assert re.fullmatch(r"sertifikat-00001-SERT-PALU-\d{4}\.pdf", download.suggested_filename)
        with open(download.path(), "rb") as handle:
            data = handle.read()
        text = PdfReader(io.BytesIO(data)).pages[0].extract_text()

        from lms.records.models import Certificate

        certificate = Certificate.objects.select_related("completion").get()
        assert certificate.completion.certificate_number == certificate.number
        assert setup.full_name in text
        assert certificate.number in text
        assert setup.nip in text
