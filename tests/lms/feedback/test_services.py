import uuid

import pytest
from django.core.exceptions import ValidationError

from lms.feedback import selectors, services
from lms.feedback.models import FeedbackMessage, FeedbackThread
from lms.feedback.services import FeedbackRefused
from lms.notifications.models import Kind, Notification
from lms.people import services as people_services
from tests.lms.notifications.conftest import quiz_attempt

pytestmark = pytest.mark.django_db

# Everyone who is not a supervisor of `team.staff`, by the team fixture's attribute.
OUTSIDERS = [
    "colleague",  # a peer on the same team
    "other_boss",  # a supervisor of another team in the same city
    "other_staff",
    "sorong_boss",  # a supervisor in another city
    "jakarta_admin",  # admins see records, but feedback is between a person and supervisors
    "sorong_admin",
    "national_admin",
]


def user_of(team, name):
    person = getattr(team, name)
    return getattr(person, "user", person)


def write(team, author="boss", **kwargs):
    defaults = {"learner": team.staff, "topic_kind": "general", "body": "Bagus, lanjutkan."}
    return services.feedback_write(author=user_of(team, author), **{**defaults, **kwargs})


def nothing_saved():
    return (
        not FeedbackThread.objects.exists()
        and not FeedbackMessage.objects.exists()
        and not Notification.objects.exists()
    )


class FeedbackWriteTests:
    @pytest.mark.parametrize("author", ["boss", "head"])
    def test_direct_and_indirect_supervisors_may_write(
        self, team, author, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            message = write(team, author, body="  Tolong selesaikan modul 2.  ")
        assert message.body == "Tolong selesaikan modul 2."
        assert message.thread.learner == team.staff
        assert message.thread.created_by == user_of(team, author)
        notification = Notification.objects.get()
        assert notification.user == team.staff.user
        assert notification.kind == Kind.FEEDBACK
        assert notification.url == f"/umpan-balik/{message.thread_id}/"
        assert [m.to for m in mailoutbox] == [[team.staff.user.email]]

    @pytest.mark.parametrize("outsider", OUTSIDERS)
    def test_anyone_else_is_refused_and_nothing_is_saved(self, team, outsider):
        with pytest.raises(FeedbackRefused):
            write(team, outsider)
        assert nothing_saved()

    def test_a_learner_cannot_start_feedback_about_themself(self, team):
        with pytest.raises(FeedbackRefused):
            write(team, "staff")
        assert nothing_saved()

    def test_a_deactivated_supervisor_is_refused(self, team):
        people_services.learner_deactivate(profile=team.boss)
        with pytest.raises(FeedbackRefused):
            write(team)
        assert nothing_saved()

    def test_same_topic_joins_the_thread_another_topic_starts_one(self, team):
        course_key = uuid.uuid4()
        first = write(team, topic_kind="course", topic_key=course_key, topic_title="Etika ASN")
        second = write(team, "head", topic_kind="course", topic_key=str(course_key))
        general = write(team)
        general_again = write(team, "head")
        assert second.thread_id == first.thread_id
        assert general_again.thread_id == general.thread_id != first.thread_id
        assert FeedbackThread.objects.count() == 2
        assert first.thread.topic_title == "Etika ASN"

    def test_the_same_topic_for_another_learner_is_another_thread(self, team):
        key = uuid.uuid4()
        mine = write(team, topic_kind="course", topic_key=key)
        theirs = write(team, learner=team.colleague, topic_kind="course", topic_key=key)
        assert mine.thread_id != theirs.thread_id

    def test_feedback_on_the_learners_own_quiz_attempt(self, team):
        attempt = quiz_attempt(team.staff)
        message = write(team, topic_kind="quiz_attempt", topic_key=attempt.pk, topic_title="Kuis")
        assert message.thread.topic_key == attempt.pk

    @pytest.mark.parametrize(
        ("fields", "error_field"),
        [
            ({"body": ""}, "body"),
            ({"body": "   \n  "}, "body"),
            ({"body": None}, "body"),
            ({"body": "x" * 2001}, "body"),
            ({"topic_kind": "gossip"}, "topic_kind"),
            ({"topic_kind": "course", "topic_key": "not-a-uuid"}, "topic_key"),
            ({"topic_kind": "course", "topic_key": None}, "topic_key"),
            ({"topic_kind": "quiz_attempt", "topic_key": uuid.uuid4()}, "topic_key"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_saved(self, team, fields, error_field):
        with pytest.raises(ValidationError) as caught:
            write(team, **fields)
        assert error_field in caught.value.message_dict
        assert nothing_saved()

    def test_2000_characters_is_allowed(self, team):
        assert len(write(team, body="x" * 2000).body) == 2000

    def test_feedback_on_another_persons_quiz_attempt_is_refused(self, team):
        attempt = quiz_attempt(team.colleague)
        with pytest.raises(ValidationError):
            write(team, topic_kind="quiz_attempt", topic_key=attempt.pk)
        assert nothing_saved()


class FeedbackReplyTests:
    def test_the_learners_reply_notifies_the_supervisors_who_wrote(
        self, team, mailoutbox, django_capture_on_commit_callbacks
    ):
        thread = write(team).thread
        write(team, "head")
        Notification.objects.all().delete()
        with django_capture_on_commit_callbacks(execute=True):
            reply = services.feedback_reply(author=team.staff.user, thread=thread, body="Siap.")
        assert reply.thread_id == thread.pk
        notified = Notification.objects.filter(kind=Kind.FEEDBACK_REPLY)
        assert {n.user for n in notified} == {team.boss.user, team.head.user}
        assert sorted(m.to[0] for m in mailoutbox) == sorted(
            [team.boss.user.email, team.head.user.email]
        )
        thread.refresh_from_db()
        assert thread.learner_read_at == reply.created_at == thread.last_message_at

    def test_a_supervisor_who_did_not_write_is_not_notified_of_replies(self, team):
        thread = write(team).thread
        services.feedback_reply(author=team.staff.user, thread=thread, body="Siap.")
        assert list(
            Notification.objects.filter(kind=Kind.FEEDBACK_REPLY).values_list("user", flat=True)
        ) == [team.boss.user_id]

    def test_a_supervisors_reply_notifies_the_learner(self, team):
        thread = write(team).thread
        services.feedback_reply(author=team.head.user, thread=thread, body="Saya setuju.")
        assert Notification.objects.filter(user=team.staff.user, kind=Kind.FEEDBACK).count() == 2

    @pytest.mark.parametrize("outsider", OUTSIDERS)
    def test_anyone_else_may_not_reply(self, team, outsider):
        thread = write(team).thread
        with pytest.raises(FeedbackRefused):
            services.feedback_reply(author=user_of(team, outsider), thread=thread, body="Halo")
        assert FeedbackMessage.objects.count() == 1

    def test_a_former_supervisor_loses_access(self, team):
        thread = write(team).thread
        people_services.supervisor_set(profile=team.staff, supervisor=team.other_boss)
        with pytest.raises(FeedbackRefused):
            services.feedback_reply(author=team.boss.user, thread=thread, body="Halo")
        assert selectors.thread_with_messages(thread.pk, team.boss.user) is None
        # The new supervisor's chain now includes the head through other_boss.
        assert selectors.thread_with_messages(thread.pk, team.other_boss.user) is not None

    @pytest.mark.parametrize("body", ["", "  ", "x" * 2001])
    def test_bad_reply_is_refused_and_nothing_is_saved(self, team, body):
        thread = write(team).thread
        with pytest.raises(ValidationError):
            services.feedback_reply(author=team.staff.user, thread=thread, body=body)
        assert FeedbackMessage.objects.count() == 1


class NudgeTests:
    @pytest.mark.parametrize("supervisor", ["boss", "head"])
    def test_supervisors_may_nudge_once_a_day(
        self, team, supervisor, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            first = services.nudge(
                supervisor=user_of(team, supervisor), learner=team.staff, message="Ayo!"
            )
            second = services.nudge(supervisor=user_of(team, supervisor), learner=team.staff)
        assert first.kind == Kind.NUDGE
        assert first.user == team.staff.user
        assert first.body == "Ayo!"
        assert second is None
        assert Notification.objects.count() == 1
        assert len(mailoutbox) == 1

    @pytest.mark.parametrize("outsider", [*OUTSIDERS, "staff"])
    def test_anyone_else_is_refused(self, team, outsider):
        with pytest.raises(FeedbackRefused):
            services.nudge(supervisor=user_of(team, outsider), learner=team.staff)
        assert not Notification.objects.exists()

    def test_too_long_message_is_refused(self, team):
        with pytest.raises(ValidationError):
            services.nudge(supervisor=team.boss.user, learner=team.staff, message="x" * 501)
        assert not Notification.objects.exists()


class SelectorTests:
    @pytest.mark.parametrize("threads", [1, 6])
    def test_threads_for_learner_is_one_query(self, team, django_assert_num_queries, threads):
        for _ in range(threads):
            write(team, topic_kind="course", topic_key=uuid.uuid4(), topic_title="Kursus")
            services.feedback_reply(
                author=team.staff.user, thread=FeedbackThread.objects.first(), body="Terima kasih"
            )
        with django_assert_num_queries(1):
            listed = selectors.threads_for_learner(team.staff, limit=10)
        assert len(listed) == threads
        assert listed[0].last_body == "Terima kasih"
        assert listed[0].last_author_name == "Staf Satu"

    def test_unread_until_the_learner_opens_the_thread(self, team):
        thread = write(team).thread
        assert selectors.threads_for_learner(team.staff)[0].unread is True
        services.thread_mark_read(user=team.staff.user, thread=thread)
        assert selectors.threads_for_learner(team.staff)[0].unread is False
        write(team, "head")
        assert selectors.threads_for_learner(team.staff)[0].unread is True

    def test_a_supervisor_opening_the_thread_does_not_mark_it_read(self, team):
        thread = write(team).thread
        services.thread_mark_read(user=team.boss.user, thread=thread)
        assert selectors.threads_for_learner(team.staff)[0].unread is True

    @pytest.mark.parametrize("staff_count", [1, 5])
    def test_threads_for_supervisor_constant_queries(
        self, team, django_assert_num_queries, staff_count
    ):
        from tests.factories import LearnerFactory

        for _ in range(staff_count):
            person = LearnerFactory(city=team.jakarta, supervisor=team.boss)
            write(team, learner=person)
        write(team, "other_boss", learner=team.other_staff)
        user = type(team.boss.user).objects.get(pk=team.boss.user_id)  # no cached roles
        with django_assert_num_queries(3):  # roles (2, cached afterwards), the threads
            listed = selectors.threads_for_supervisor(user)
        assert len(listed) == staff_count
        assert all(thread.learner.supervisor_id == team.boss.pk for thread in listed)

    @pytest.mark.parametrize("reader", ["staff", "boss", "head"])
    def test_thread_with_messages_for_the_learner_and_supervisors(self, team, reader):
        thread = write(team).thread
        services.feedback_reply(author=team.staff.user, thread=thread, body="Siap")
        found = selectors.thread_with_messages(thread.pk, user_of(team, reader))
        assert [m.body for m in found.message_list] == ["Bagus, lanjutkan.", "Siap"]
        assert found.viewer_is_learner is (reader == "staff")

    @pytest.mark.parametrize("outsider", OUTSIDERS)
    def test_thread_with_messages_refuses_everyone_else(self, team, outsider):
        thread = write(team).thread
        assert selectors.thread_with_messages(thread.pk, user_of(team, outsider)) is None

    def test_thread_with_messages_of_a_missing_thread(self, team):
        assert selectors.thread_with_messages(987654, team.staff.user) is None
