"""JP of an event per the national rules (Perlan LAN 10/2018 and its JP guidance).

- magang (internship): 20 JP per activity, whatever its length;
- coaching and mentoring (bimbingan di tempat kerja): 2 JP per session attended, and at
  most two sessions a month count for one learner;
- workshop, seminar, bimbingan teknis: one JP per 45 minutes of the sessions attended.

A city admin may override: Event.jp_override replaces the JP per session for the
per-session forms, and the JP of the whole event otherwise. Pure functions, no queries.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from courses.models import LearningForm

JP_MINUTES = 45
INTERNSHIP_JP = 20
PER_SESSION_JP = 2
PER_SESSION_MONTHLY_CAP = 2
PER_SESSION_FORMS = frozenset({LearningForm.COACHING, LearningForm.MENTORING})


@dataclass(frozen=True)
class AttendedSession:
    session_id: int
    minutes: int
    month: tuple[int, int]  # (year, month) of the session, in the city's time zone


@dataclass(frozen=True)
class JpDecision:
    jp: int
    counted_session_ids: frozenset[int]


def is_per_session(learning_form: str) -> bool:
    return learning_form in PER_SESSION_FORMS


def event_jp(
    *,
    learning_form: str,
    attended: Iterable[AttendedSession],
    override: int | None = None,
    already_counted_by_month: dict[tuple[int, int], int] | None = None,
) -> JpDecision:
    """The JP a learner earns for the sessions they attended.

    ``already_counted_by_month`` says how many per-session activities (any event) were
    already counted for the learner in each month; the cap applies across events.
    """
    attended = sorted(attended, key=lambda s: (s.month, s.session_id))
    if is_per_session(learning_form):
        per_session = override or PER_SESSION_JP
        used = dict(already_counted_by_month or {})
        counted = set()
        for session in attended:
            if used.get(session.month, 0) >= PER_SESSION_MONTHLY_CAP:
                continue
            used[session.month] = used.get(session.month, 0) + 1
            counted.add(session.session_id)
        return JpDecision(jp=per_session * len(counted), counted_session_ids=frozenset(counted))
    ids = frozenset(s.session_id for s in attended)
    if not ids:
        return JpDecision(jp=0, counted_session_ids=ids)
    if override:
        return JpDecision(jp=override, counted_session_ids=ids)
    if learning_form == LearningForm.INTERNSHIP:
        return JpDecision(jp=INTERNSHIP_JP, counted_session_ids=ids)
    minutes = sum(s.minutes for s in attended)
    return JpDecision(jp=max(1, minutes // JP_MINUTES), counted_session_ids=ids)
