"""Enrolment: self-enrolment, rules (now and for learners added later), mandatory
assignments, withdrawal that keeps history; other cities and other learners refused."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from lms.people.models import LearnerProfile
from lms.records import services
from lms.records.models import Enrolment, EnrolmentChange
from tests.factories import AgencyFactory, LearnerFactory

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 12, 1)


class SelfEnrolmentTests:
    def test_enrol_button_enrols_and_redirects_back(self, learner_client, world):
        course = world.course.course
        response = learner_client.post(
            f"/xapi/enrol/{course.translation_key}/", {"next": "/somewhere/"}
        )
        assert response.status_code == 302 and response.url == "/somewhere/"
        enrolment = Enrolment.objects.get(learner=world.learner)
        assert enrolment.source == Enrolment.Source.SELF
        assert enrolment.status == Enrolment.Status.ACTIVE
        # Twice is still one enrolment.
        learner_client.post(f"/xapi/enrol/{course.translation_key}/")
        assert Enrolment.objects.count() == 1

    def test_other_citys_course_is_refused(self, learner_client, world):
        course = world.sorong_course.course
        response = learner_client.post(f"/xapi/enrol/{course.translation_key}/")
        assert response.status_code == 302
        assert not Enrolment.objects.exists()
        with pytest.raises(services.AccessDenied):
            services.enrolment_self(user=world.learner.user, course=course)

    def test_an_offsite_next_is_ignored(self, learner_client, world):
        course = world.course.course
        response = learner_client.post(
            f"/xapi/enrol/{course.translation_key}/", {"next": "https://evil.example/"}
        )
        assert response.url == course.url

    def test_withdraw_keeps_history_and_enrolling_again_reactivates(self, learner_client, world):
        course = world.course.course
        learner_client.post(f"/xapi/enrol/{course.translation_key}/")
        learner_client.post(f"/xapi/enrol/{course.translation_key}/withdraw/")
        enrolment = Enrolment.objects.get()
        assert enrolment.status == Enrolment.Status.WITHDRAWN and enrolment.withdrawn_at
        learner_client.post(f"/xapi/enrol/{course.translation_key}/")
        enrolment.refresh_from_db()
        assert enrolment.status == Enrolment.Status.ACTIVE and enrolment.withdrawn_at is None
        assert list(enrolment.changes.values_list("action", flat=True)) == [
            "enrolled",
            "withdrawn",
            "enrolled",
        ]

    def test_get_is_not_allowed(self, learner_client, world):
        url = f"/xapi/enrol/{world.course.course.translation_key}/"
        assert learner_client.get(url).status_code == 405


class MandatoryAssignmentTests:
    def test_city_admin_assigns_with_due_date_and_learner_cannot_withdraw(
        self, world, jakarta_admin
    ):
        [enrolment] = services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner], course=world.national.course, due_date=DUE
        )
        assert enrolment.is_mandatory and enrolment.due_date == DUE
        with pytest.raises(ValidationError):
            services.enrolment_withdraw(by=world.learner.user, enrolment=enrolment)
        services.enrolment_withdraw(by=jakarta_admin, enrolment=enrolment)
        enrolment.refresh_from_db()
        assert enrolment.status == Enrolment.Status.WITHDRAWN
        assert EnrolmentChange.objects.filter(enrolment=enrolment, by=jakarta_admin).count() == 2

    def test_the_learner_is_told_in_app_and_by_email_after_commit(
        self, world, jakarta_admin, mailoutbox, django_capture_on_commit_callbacks
    ):
        from lms.notifications.models import Notification

        world.learner.user.email = "budi@example.go.id"
        world.learner.user.save(update_fields=["email"])
        with django_capture_on_commit_callbacks(execute=True):
            services.mandatory_assign(
                by=jakarta_admin,
                profiles=[world.learner],
                course=world.national.course,
                due_date=DUE,
            )
        notification = Notification.objects.get(user=world.learner.user)
        assert notification.kind == "mandatory_assigned"
        assert [message.to for message in mailoutbox] == [["budi@example.go.id"]]

    def test_other_city_admin_is_refused(self, world, sorong_admin):
        with pytest.raises(services.AccessDenied):
            services.mandatory_assign(
                by=sorong_admin, profiles=[world.learner], course=world.course.course
            )
        assert not Enrolment.objects.exists()
        from lms.notifications.models import Notification

        assert not Notification.objects.exists()

    def test_another_learner_cannot_withdraw_someone(self, world, jakarta_admin):
        [enrolment] = services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner], course=world.course.course
        )
        other = world.new_learner()
        with pytest.raises(services.AccessDenied):
            services.enrolment_withdraw(by=other.user, enrolment=enrolment)

    def test_a_course_outside_the_citys_curriculum_is_refused(self, world, jakarta_admin):
        with pytest.raises(ValidationError):
            services.mandatory_assign(
                by=jakarta_admin, profiles=[world.learner], course=world.sorong_course.course
            )


class EnrolmentRuleTests:
    def test_rule_enrols_an_agency_subtree_of_one_position_type_now_and_later(
        self, world, jakarta_admin
    ):
        dinas = AgencyFactory(city=world.jakarta, name="Diskominfo")
        bidang = AgencyFactory(city=world.jakarta, name="Bidang Aptika", parent=dinas)
        other = AgencyFactory(city=world.jakarta, name="Dinas Lain")
        inside = LearnerFactory(city=world.jakarta, agency=bidang, jabatan_type="fungsional")
        wrong_type = LearnerFactory(city=world.jakarta, agency=bidang, jabatan_type="pelaksana")
        outside = LearnerFactory(city=world.jakarta, agency=other, jabatan_type="fungsional")
        rule = services.enrolment_rule_create(
            by=jakarta_admin,
            city=world.jakarta,
            course=world.national.course,
            agency=dinas,
            jabatan_type="fungsional",
            is_mandatory=True,
            due_date=DUE,
        )
        enrolled = set(Enrolment.objects.values_list("learner_id", flat=True))
        assert enrolled == {inside.pk}
        assert Enrolment.objects.get().rule == rule
        assert wrong_type.pk not in enrolled and outside.pk not in enrolled

        # A learner imported later gets it when the importer calls the hook.
        later = LearnerFactory(city=world.jakarta, agency=dinas, jabatan_type="fungsional")
        assert services.apply_enrolment_rules_to(LearnerProfile.objects.filter(pk=later.pk)) == 1
        assert Enrolment.objects.filter(learner=later, is_mandatory=True, due_date=DUE).exists()
        # Applying again changes nothing.
        assert services.apply_enrolment_rules_to([later]) == 0

    def test_a_city_wide_rule_makes_an_existing_enrolment_mandatory(self, world, jakarta_admin):
        services.enrolment_self(user=world.learner.user, course=world.course.course)
        services.enrolment_rule_create(
            by=jakarta_admin, city=world.jakarta, course=world.course.course, is_mandatory=True
        )
        enrolment = Enrolment.objects.get(learner=world.learner)
        assert enrolment.is_mandatory and enrolment.source == Enrolment.Source.SELF

    def test_the_learner_is_told_in_app_and_by_email_after_commit(
        self, world, jakarta_admin, mailoutbox, django_capture_on_commit_callbacks
    ):
        from lms.notifications.models import Notification

        world.learner.user.email = "budi@example.go.id"
        world.learner.user.save(update_fields=["email"])
        with django_capture_on_commit_callbacks(execute=True):
            services.mandatory_assign(
                by=jakarta_admin,
                profiles=[world.learner],
                course=world.national.course,
                due_date=DUE,
            )
        notification = Notification.objects.get(user=world.learner.user)
        assert notification.kind == "mandatory_assigned"
        assert [message.to for message in mailoutbox] == [["budi@example.go.id"]]

    def test_other_city_admin_is_refused(self, world, sorong_admin):
        with pytest.raises(services.AccessDenied):
            services.enrolment_rule_create(
                by=sorong_admin, city=world.jakarta, course=world.course.course
            )

    def test_learners_of_other_cities_are_not_matched(self, world, jakarta_admin):
        sorong_learner = world.new_learner(city=world.sorong)
        services.enrolment_rule_create(
            by=jakarta_admin, city=world.jakarta, course=world.course.course
        )
        assert not Enrolment.objects.filter(learner=sorong_learner).exists()
        assert services.apply_enrolment_rules_to([sorong_learner]) == 0

    def test_a_deactivated_rule_no_longer_applies(self, world, jakarta_admin, sorong_admin):
        rule = services.enrolment_rule_create(
            by=jakarta_admin, city=world.jakarta, course=world.course.course
        )
        with pytest.raises(services.AccessDenied):
            services.enrolment_rule_deactivate(by=sorong_admin, rule=rule)
        services.enrolment_rule_deactivate(by=jakarta_admin, rule=rule)
        assert services.apply_enrolment_rules_to([world.new_learner()]) == 0


class EnrolmentRulesAdminTests:
    def test_city_admin_adds_a_rule_from_the_admin(self, client, world, jakarta_admin):
        client.force_login(jakarta_admin)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        url = "/admin/pendaftaran/aturan/"
        page = client.get(url)
        assert page.status_code == 200
        assert b"Enrolment rules" in page.content
        response = client.post(
            url,
            {"city": world.jakarta.pk, "course": world.course.course.pk, "is_mandatory": "on"},
        )
        assert response.status_code == 302, response.content[:2000]
        assert Enrolment.objects.filter(learner=world.learner, is_mandatory=True).exists()
        rule = world.jakarta.enrolment_rules.get()
        client.post(f"/admin/pendaftaran/aturan/{rule.pk}/hentikan/")
        rule.refresh_from_db()
        assert not rule.is_active

    def test_other_city_admin_cannot_use_or_stop_another_citys_rules(
        self, client, world, jakarta_admin, sorong_admin
    ):
        rule = services.enrolment_rule_create(
            by=jakarta_admin, city=world.jakarta, course=world.course.course
        )
        client.force_login(sorong_admin)
        response = client.post(
            "/admin/pendaftaran/aturan/",
            {"city": world.jakarta.pk, "course": world.course.course.pk},
        )
        assert response.status_code == 200  # the form refuses a city not in its list
        assert world.jakarta.enrolment_rules.count() == 1
        assert client.post(f"/admin/pendaftaran/aturan/{rule.pk}/hentikan/").status_code == 404
        rule.refresh_from_db()
        assert rule.is_active

    def test_a_learner_is_refused(self, client, world):
        client.force_login(world.learner.user)
        response = client.get("/admin/pendaftaran/aturan/")
        assert response.status_code in (302, 403)
