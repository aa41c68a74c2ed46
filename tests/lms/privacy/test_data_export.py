"""The learner's download of all their data: every kind of record is in it, as JSON and
CSV, and nothing of anybody else."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from lms.feedback.models import FeedbackMessage
from lms.notifications.models import Notification
from lms.privacy.selectors import learner_data_sections
from lms.records import models as records
from tests.factories import LearnerFactory

from .conftest import fill_records

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(client, team, world):
    """Ani (with every kind of record and feedback from Budi) and Cici (the same)."""
    ani = fill_records(client, world, team.ani, team.budi)
    cici = fill_records(client, world, team.cici, team.budi)
    return ani, cici


def download(client, learner) -> zipfile.ZipFile:
    client.force_login(learner.user)
    response = client.get(reverse("privacy:download"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def ids(rows) -> set:
    return {str(row["id"]) for row in rows}


class DataExportTests:
    def test_the_zip_holds_all_the_learners_records_and_nothing_of_others(self, client, two):
        ani, cici = two
        archive = download(client, ani.learner)
        data = json.loads(archive.read("data.json"))
        learner = ani.learner
        expected = {
            "enrolments": records.Enrolment.objects.filter(learner=learner),
            "progress": records.ActivityProgress.objects.filter(learner=learner),
            "statements": records.Statement.objects.filter(learner=learner),
            "quiz_attempts": records.QuizAttempt.objects.filter(learner=learner),
            "quiz_responses": records.AttemptQuestion.objects.filter(attempt__learner=learner),
            "completions": records.CourseCompletion.objects.filter(learner=learner),
            "jp_credits": records.JpCredit.objects.filter(learner=learner),
            "certificates": records.Certificate.objects.filter(completion__learner=learner),
            "feedback_messages": FeedbackMessage.objects.filter(thread__learner=learner),
            "notifications": Notification.objects.filter(user=learner.user),
            "activity_states": records.ActivityState.objects.filter(learner=learner),
        }
        for name, queryset in expected.items():
            want = {str(pk) for pk in queryset.values_list("pk", flat=True)}
            assert want, f"the fixture made no {name}"
            assert ids(data[name]) == want, name
        assert data["profile"][0]["nip"] == learner.nip
        assert data["profile"][0]["email"] == learner.email

        # Nothing of Cici anywhere: not her NIP, name, email, nor her rows' ids.
        everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8")
        for hidden in (cici.learner.nip, cici.learner.email, cici.learner.full_name):
            assert hidden not in everything
        assert f"jawaban-{cici.learner.pk}" not in everything
        assert str(cici.attempt.pk) not in everything
        assert cici.certificate.number not in everything
        # The answer key drawn with a question stays on the server.
        assert '"correct"' not in everything

    def test_every_section_is_also_a_csv_with_one_line_per_row(self, client, two):
        ani, _cici = two
        archive = download(client, ani.learner)
        sections = learner_data_sections(learner=ani.learner)
        for section in sections:
            text = archive.read(f"csv/{section.name}.csv").decode("utf-8-sig")
            import csv

            rows = list(csv.reader(io.StringIO(text)))
            assert tuple(rows[0]) == section.columns
            assert len(rows) - 1 == len(section.rows), section.name

    def test_query_count_is_constant_in_the_number_of_records(
        self, client, world, django_assert_max_num_queries
    ):
        learner = LearnerFactory(city=world.jakarta)
        client.force_login(learner.user)
        with django_assert_max_num_queries(30):
            response = client.get(reverse("privacy:download"))
            b"".join(response.streaming_content)

    def test_staff_without_profile_and_anonymous_get_no_zip(self, client, world):
        from tests.factories import city_admin

        assert client.get(reverse("privacy:download")).status_code == 302
        client.force_login(city_admin(world.jakarta))
        assert client.get(reverse("privacy:download")).status_code == 404
