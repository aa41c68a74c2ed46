"""The national JP rules for events, as pure functions."""

from courses.models import LearningForm
from lms.events.jp_rules import AttendedSession, event_jp

DEC, JAN = (2026, 12), (2027, 1)


def sessions(*months, minutes=90):
    return [
        AttendedSession(session_id=n, minutes=minutes, month=m) for n, m in enumerate(months, 1)
    ]


class EventJpTests:
    def test_internship_is_20_jp_per_activity_whatever_its_length(self):
        assert event_jp(learning_form=LearningForm.INTERNSHIP, attended=sessions(DEC)).jp == 20
        many = sessions(DEC, DEC, JAN, JAN, JAN, minutes=480)
        assert event_jp(learning_form=LearningForm.INTERNSHIP, attended=many).jp == 20

    def test_workshop_counts_one_jp_per_45_minutes(self):
        attended = sessions(DEC, DEC, minutes=180)  # 6 hours
        assert event_jp(learning_form=LearningForm.WORKSHOP, attended=attended).jp == 8
        short = sessions(DEC, minutes=30)
        assert event_jp(learning_form=LearningForm.SEMINAR, attended=short).jp == 1

    def test_coaching_is_2_jp_per_session_at_most_twice_a_month(self):
        attended = sessions(DEC, DEC, DEC, JAN)
        decision = event_jp(learning_form=LearningForm.COACHING, attended=attended)
        assert decision.jp == 6  # two in December, one in January
        assert decision.counted_session_ids == {1, 2, 4}

    def test_the_monthly_cap_counts_sessions_of_other_events(self):
        decision = event_jp(
            learning_form=LearningForm.MENTORING,
            attended=sessions(DEC, JAN),
            already_counted_by_month={DEC: 2, JAN: 1},
        )
        assert decision.jp == 2
        assert decision.counted_session_ids == {2}

    def test_override_replaces_the_rule(self):
        workshop = event_jp(
            learning_form=LearningForm.WORKSHOP, attended=sessions(DEC, minutes=600), override=3
        )
        assert workshop.jp == 3
        coaching = event_jp(
            learning_form=LearningForm.COACHING, attended=sessions(DEC, DEC, DEC), override=3
        )
        assert coaching.jp == 6  # 3 JP per session, still twice a month

    def test_nothing_attended_earns_nothing(self):
        assert event_jp(learning_form=LearningForm.WORKSHOP, attended=[]).jp == 0
        assert event_jp(learning_form=LearningForm.COACHING, attended=[]).jp == 0
