"""The home and team pages with the feedback and certificates apps: the supervisor's
forms post to the feedback app and the learner reads the thread on their home; a
completed course's certificate is downloadable from the home page."""

import re

import pytest
from django.urls import reverse

from lms.records.certificates import certificate_issue, certificate_revoke
from lms.records.models import CourseCompletion

from .conftest import complete_course, login

pytestmark = pytest.mark.django_db


def form_actions(html: str) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]+)"', html)


class FeedbackFromTheTeamPageTests:
    def test_team_page_forms_post_to_the_feedback_app(self, client, team):
        html = login(client, team.budi).get("/tim-saya/").content.decode()
        actions = form_actions(html)
        assert reverse("feedback:write", args=[team.ani.pk]) in actions
        assert reverse("feedback:nudge", args=[team.ani.pk]) in actions
        # Only the supervisor's own staff get forms.
        assert reverse("feedback:write", args=[team.fajar.pk]) not in actions

    def test_feedback_written_on_the_team_page_reaches_the_learners_home(self, client, team):
        login(client, team.budi)
        response = client.post(
            reverse("feedback:write", args=[team.ani.pk]),
            {
                "topic_kind": "general",
                "topic_title": "",
                "body": "Bagus, lanjutkan kursus wajibnya minggu ini.",
                "next": "/tim-saya/",
            },
        )
        assert response.status_code == 302, response.content
        client.logout()
        response = login(client, team.ani).get("/beranda/")
        [item] = response.context["home"].feedback
        assert item.last_body == "Bagus, lanjutkan kursus wajibnya minggu ini."
        assert item.last_author == "Budi Atasan"
        assert item.unread
        html = response.content.decode()
        assert "Bagus, lanjutkan kursus wajibnya minggu ini." in html
        assert f'href="{item.url}"' in html
        assert client.get(item.url).status_code == 200  # the learner can open and reply

    def test_nudge_button_sends_a_reminder_and_returns_to_the_team(self, client, team):
        login(client, team.budi)
        response = client.post(
            reverse("feedback:nudge", args=[team.ani.pk]), {"next": "/tim-saya/"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/tim-saya/"

    def test_person_page_offers_feedback_on_a_completed_course(self, client, world, team):
        complete_course(client, world.course, team.ani)
        html = login(client, team.budi).get(f"/tim-saya/{team.ani.pk}/").content.decode()
        assert 'name="topic_kind" value="course"' in html
        assert f'name="topic_key" value="{world.course.course.translation_key}"' in html


class CertificatesOnTheHomeTests:
    def test_certificate_download_and_yearly_zip_links(self, client, world):
        complete_course(client, world.course, world.learner)
        completion = CourseCompletion.objects.get(learner=world.learner)
        certificate = certificate_issue(completion=completion)
        response = login(client, world.learner).get("/beranda/")
        [done] = response.context["home"].completed
        assert done.certificate_number == certificate.number
        assert done.certificate_url == reverse("certificates:download", args=[certificate.pk])
        html = response.content.decode()
        assert done.certificate_url in html
        assert reverse("certificates:zip", args=[completion.year]) in html

    def test_a_revoked_certificate_has_no_download_link(self, client, world, jakarta_admin):
        complete_course(client, world.course, world.learner)
        certificate = certificate_issue(
            completion=CourseCompletion.objects.get(learner=world.learner)
        )
        certificate_revoke(by=jakarta_admin, certificate=certificate, reason="Salah data")
        response = login(client, world.learner).get("/beranda/")
        [done] = response.context["home"].completed
        assert done.revoked and done.certificate_url is None
        assert "Revoked" in response.content.decode()

    def test_a_certificate_still_being_issued_is_announced(self, client, world):
        # In a test transaction the after-commit issuing has not run yet.
        complete_course(client, world.course, world.learner)
        response = login(client, world.learner).get("/beranda/")
        home = response.context["home"]
        assert home.certificates == [] and home.certificates_pending == 1
        assert not home.has_certificates_this_year
        html = response.content.decode()
        assert "1 certificate is being prepared" in html
        assert reverse("certificates:zip", args=[home.today.year]) not in html
