import datetime
import itertools

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from lms.notifications.models import Kind, Notification
from lms.notifications.tasks import due_date_reminders
from lms.records.models import CourseCompletion, Enrolment
from tests.courses.conftest import make_course
from tests.factories import LearnerFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 30)
_keys = itertools.count(1)


def enrol(learner, course, *, due_in: int | None, mandatory: bool = True, **fields):
    return Enrolment.objects.create(
        learner=learner,
        course_key=course.translation_key,
        source=Enrolment.Source.ASSIGNMENT,
        is_mandatory=mandatory,
        due_date=None if due_in is None else TODAY + datetime.timedelta(days=due_in),
        enrolled_at=timezone.now(),
        **fields,
    )


def complete(enrolment):
    CourseCompletion.objects.create(
        learner=enrolment.learner,
        city=enrolment.learner.city,
        course_key=enrolment.course_key,
        course_title="Selesai",
        organiser="BKPSDM",
        learning_form="e_learning",
        jp=2,
        started_on=TODAY,
        completed_on=TODAY,
        year=TODAY.year,
        completed_at=timezone.now(),
        criteria={},
    )


def reminded() -> set[tuple[int, str]]:
    return set(Notification.objects.filter(kind=Kind.DUE_SOON).values_list("user_id", "dedupe_key"))


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the reminders as cron does: emails go out when each batch commits."""

    def _run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return due_date_reminders(**kwargs)

    return _run


class DueDateReminderTests:
    def test_reminds_7_and_1_day_before_only_open_mandatory_courses(
        self, team, catalogue, mailoutbox, run
    ):
        course = make_course(catalogue, title="Etika ASN")
        seven = enrol(team.staff, course, due_in=7)
        one = enrol(team.colleague, course, due_in=1)
        enrol(team.boss, course, due_in=3)  # not a reminder day
        enrol(team.head, course, due_in=0)  # due today: past the reminders
        enrol(team.other_staff, course, due_in=7, mandatory=False)
        enrol(team.other_boss, course, due_in=None)
        withdrawn = LearnerFactory(city=team.jakarta)
        enrol(
            withdrawn,
            course,
            due_in=7,
            status=Enrolment.Status.WITHDRAWN,
            withdrawn_at=timezone.now(),
        )
        done = LearnerFactory(city=team.jakarta)
        complete(enrol(done, course, due_in=1))

        assert run(today=TODAY) == 2

        assert reminded() == {
            (team.staff.user_id, f"due:{seven.pk}:7"),
            (team.colleague.user_id, f"due:{one.pk}:1"),
        }
        notification = Notification.objects.get(user=team.staff.user)
        assert "Etika ASN" in notification.title
        assert notification.url == course.url
        assert sorted(m.to[0] for m in mailoutbox) == sorted(
            [team.staff.user.email, team.colleague.user.email]
        )

    def test_running_twice_notifies_once(self, team, catalogue, mailoutbox, run):
        course = make_course(catalogue)
        enrol(team.staff, course, due_in=7)
        assert run(today=TODAY) == 1
        assert run(today=TODAY) == 0
        assert Notification.objects.filter(kind=Kind.DUE_SOON).count() == 1
        assert len(mailoutbox) == 1

    def test_the_7_day_and_the_1_day_reminders_are_both_sent(self, team, catalogue):
        course = make_course(catalogue)
        enrolment = enrol(team.staff, course, due_in=7)
        due_date_reminders(today=TODAY)
        due_date_reminders(today=TODAY + datetime.timedelta(days=6))
        assert reminded() == {
            (team.staff.user_id, f"due:{enrolment.pk}:7"),
            (team.staff.user_id, f"due:{enrolment.pk}:1"),
        }

    def test_email_preference_is_respected_in_the_batch(self, team, catalogue, mailoutbox, run):
        from lms.notifications.services import preferences_save

        course = make_course(catalogue)
        enrol(team.staff, course, due_in=7)
        enrol(team.colleague, course, due_in=7)
        preferences_save(user=team.staff.user, email_enabled={Kind.DUE_SOON: False})
        assert run(today=TODAY) == 2
        assert [m.to for m in mailoutbox] == [[team.colleague.user.email]]

    def test_days_count_from_each_learners_own_city_date(self, team, catalogue, monkeypatch):
        # 16:30 UTC: still 30 November in Jakarta (23:30 WIB), already 1 December in
        # Sorong (01:30 WIT).
        moment = datetime.datetime(2026, 11, 30, 16, 30, tzinfo=datetime.UTC)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        course = make_course(catalogue)
        jakarta_due = enrol(team.staff, course, due_in=7)  # 7 December
        sorong_due = enrol(team.sorong_staff, course, due_in=7)  # 6 days left in Sorong
        sorong_next = enrol(team.sorong_boss, course, due_in=8)  # 7 days left in Sorong

        assert due_date_reminders() == 2

        assert reminded() == {
            (team.staff.user_id, f"due:{jakarta_due.pk}:7"),
            (team.sorong_boss.user_id, f"due:{sorong_next.pk}:7"),
        }
        assert not Notification.objects.filter(user=sorong_due.learner.user).exists()

    @pytest.mark.parametrize("learners", [1, 8])
    def test_constant_number_of_queries(self, team, catalogue, django_assert_num_queries, learners):
        courses = [make_course(catalogue) for _ in range(2)]
        for n in range(learners):
            learner = LearnerFactory(city=team.jakarta if n % 2 else team.sorong)
            enrol(learner, courses[n % 2], due_in=1 if n % 3 else 7)
        # enrolments, course pages, site root paths, insert, read back, email preferences
        # (plus the savepoint around them).
        with django_assert_num_queries(8):
            assert due_date_reminders(today=TODAY) == learners


class CommandTests:
    def test_command_sends_and_reports(self, team, catalogue, capsys):
        enrol(team.staff, make_course(catalogue), due_in=7)
        call_command("send_due_reminders", today=TODAY.isoformat())
        assert "1 reminder(s) sent." in capsys.readouterr().out
        assert Notification.objects.filter(kind=Kind.DUE_SOON).count() == 1

    def test_command_refuses_a_bad_date(self, team):
        with pytest.raises(CommandError, match="--today"):
            call_command("send_due_reminders", today="30-11-2026")
        assert Notification.objects.count() == 0
