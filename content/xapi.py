"""What the H5P player's xAPI statements mean, for lms.records (which grades them).

H5P content sends statements for the whole activity (the "root") and for its parts
(sub-content: each question of a Question Set, each slide element of a Course
Presentation). Only root results may grade the activity:

- A statement is a child when ``context.contextActivities.parent`` is present.
- Some content sends children *without* a parent: Course Presentation and Interactive
  Video send ``attempted`` (and more) for sub-content whose ``object.id`` carries
  ``?subContentId=``. Those are children too.
- Only ``answered`` and ``completed`` carry a result worth grading.

Misreporting content (Dictation sends a root ``answered`` with full marks on load) is
caught by records' rule "merely opening never completes"; these helpers only classify.

The activity IRI of a package - the ``object.id`` of its root statements - follows
lms.records' scheme, ``<site>/xapi/activities/h5p/<content id>`` (see ``activity_iri``);
``content_id_from_iri`` maps any statement's object id (root or child) back to the package.
The lesson page's relay adds the lesson, ``<site>/xapi/activities/lesson/<lesson key>``,
to ``context.contextActivities.grouping`` (not ``parent``: that would make a root
statement look like a child).
"""

import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings

RESULT_VERBS = frozenset(
    {
        "http://adlnet.gov/expapi/verbs/answered",
        "http://adlnet.gov/expapi/verbs/completed",
    }
)
_ACTIVITY_PATH_RE = re.compile(r"^/xapi/activities/h5p/(?P<id>[0-9a-fA-F-]{32,36})/?$")


def site_base_url() -> str:
    """The platform's canonical address; IRIs must not change with the Host header."""
    return getattr(settings, "WAGTAILADMIN_BASE_URL", "http://localhost").rstrip("/")


def activity_iri(content_id) -> str:
    return f"{site_base_url()}/xapi/activities/h5p/{content_id}"


def lesson_iri(lesson_key) -> str:
    return f"{site_base_url()}/xapi/activities/lesson/{lesson_key}"


def content_id_from_iri(iri: str) -> str | None:
    """The package content id named by a statement's object id, or None."""
    if not isinstance(iri, str):
        return None
    match = _ACTIVITY_PATH_RE.search(urlsplit(iri).path)
    if match is None:
        return None
    try:
        return str(uuid.UUID(match["id"]))
    except ValueError:
        return None


def is_sub_content(statement: dict) -> bool:
    """True for statements about a part of the activity (see the module docstring)."""
    if not isinstance(statement, dict):
        return True
    context = statement.get("context") or {}
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    if isinstance(activities, dict) and activities.get("parent"):
        return True
    obj = statement.get("object") or {}
    object_id = obj.get("id") if isinstance(obj, dict) else None
    if not isinstance(object_id, str):
        return True
    query = urlsplit(object_id).query
    return any(part.split("=", 1)[0] == "subContentId" for part in query.split("&") if part)


def is_root_result_statement(statement: dict) -> bool:
    """True when the statement may carry the activity's score: a root answered/completed.

    Child statements (see ``is_sub_content``) are stored but never grade. Whether the
    score itself is credible (raw <= max, the learner may access the content, the
    activity was actually interacted with) is for lms.records to check.
    """
    if is_sub_content(statement):
        return False
    verb = statement.get("verb") or {}
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    return verb_id in RESULT_VERBS
