"""Fixtures for learning records: two cities, a national catalogue, courses with lessons
of each completion rule, learners, and helpers to build and post xAPI statements."""

import itertools
import json
import uuid
from dataclasses import dataclass, field

import pytest

from courses import services as course_services
from lms.records.xapi import ADL, activity_iri
from tests.courses.conftest import make_course, make_lesson, paragraph
from tests.factories import CityFactory, LearnerFactory, city_admin

XAPI_HEADERS = {"HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}
_n = itertools.count(1)


def h5p_block(key) -> dict:
    return {"type": "h5p", "value": {"key": str(key), "title": "Latihan H5P"}}


def quiz_block(key) -> dict:
    return {"type": "quiz", "value": {"key": str(key), "title": "Kuis"}}


@pytest.fixture(autouse=True)
def _made_up_activity_keys(monkeypatch):
    """Activity keys here are made up: record as if no app owned H5P packages or quizzes
    (the content app's catalogue would refuse keys of packages that were never uploaded)."""
    from courses import activities

    for kind in (activities.ActivityKind.H5P, activities.ActivityKind.QUIZ):
        monkeypatch.delitem(activities._catalogues, kind, raising=False)


@dataclass
class CourseSetup:
    course: object
    viewed: object  # lesson completed by viewing
    h5p_lesson: object  # lesson completed by an H5P score >= 80 %
    quiz_lesson: object  # lesson completed by passing a quiz
    h5p_key: uuid.UUID
    quiz_key: uuid.UUID
    extra: list = field(default_factory=list)

    @property
    def lessons(self):
        return [self.viewed, self.h5p_lesson, self.quiz_lesson, *self.extra]


def build_course(parent, *, jp: int = 2, extra_lessons: int = 0, **kwargs) -> CourseSetup:
    course = make_course(parent, jp_value=jp, **kwargs)
    h5p_key, quiz_key = uuid.uuid4(), uuid.uuid4()
    viewed = make_lesson(course, title="Membaca")
    h5p_lesson = make_lesson(
        course,
        title="Latihan",
        body=[paragraph("Latihan."), h5p_block(h5p_key)],
        completion_rule="h5p_score",
        completion_threshold=80,
    )
    quiz_lesson = make_lesson(
        course, title="Kuis", body=[quiz_block(quiz_key)], completion_rule="quiz_passed"
    )
    extra = [make_lesson(course, title=f"Tambahan {i}") for i in range(extra_lessons)]
    return CourseSetup(course, viewed, h5p_lesson, quiz_lesson, h5p_key, quiz_key, extra)


@dataclass
class World:
    catalogue: object
    jakarta: object
    jakarta_curriculum: object
    sorong: object
    sorong_curriculum: object
    course: CourseSetup  # Jakarta's own course
    sorong_course: CourseSetup  # Sorong's own course
    national: CourseSetup  # national course adopted by Jakarta only
    learner: object  # a Jakarta learner profile

    def new_learner(self, city=None, **kwargs):
        return LearnerFactory(city=city or self.jakarta, **kwargs)


@pytest.fixture
def world(curriculum_index) -> World:
    catalogue = course_services.national_catalogue_install(
        index=curriculum_index, title="Katalog Nasional"
    )
    jakarta = CityFactory(name="Jakarta", slug="jakarta")
    sorong = CityFactory(name="Sorong", slug="sorong", timezone="Asia/Jayapura")
    jakarta_curriculum = course_services.city_curriculum_create(
        index=curriculum_index, city=jakarta, title="Kurikulum Jakarta"
    )
    sorong_curriculum = course_services.city_curriculum_create(
        index=curriculum_index, city=sorong, title="Kurikulum Sorong"
    )
    national = build_course(catalogue, jp=4, title="Literasi Digital Nasional")
    course_services.curriculum_entry_set(
        curriculum=jakarta_curriculum, course=national.course, is_mandatory=True
    )
    return World(
        catalogue=catalogue,
        jakarta=jakarta,
        jakarta_curriculum=jakarta_curriculum,
        sorong=sorong,
        sorong_curriculum=sorong_curriculum,
        course=build_course(jakarta_curriculum, jp=2, title="Kursus Jakarta"),
        sorong_course=build_course(sorong_curriculum, jp=2, title="Kursus Sorong"),
        national=national,
        learner=LearnerFactory(city=jakarta),
    )


def statement(
    kind: str,
    key,
    *,
    verb: str = "experienced",
    lesson=None,
    score: dict | None = None,
    success: bool | None = None,
    completion: bool | None = None,
    progress: int | None = None,
    duration: str | None = None,
    statement_id=None,
    sub_content: str | None = None,
) -> dict:
    """An xAPI statement as the browser sends it (no actor: the server sets it)."""
    object_id = activity_iri(kind, key)
    if sub_content:
        object_id += f"?subContentId={sub_content}"
    data = {
        "id": str(statement_id or uuid.uuid4()),
        "verb": {"id": ADL + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": object_id},
    }
    result = {}
    if score is not None:
        result["score"] = score
    if success is not None:
        result["success"] = success
    if completion is not None:
        result["completion"] = completion
    if progress is not None:
        result["extensions"] = {"https://w3id.org/xapi/cmi5/result/extensions/progress": progress}
    if duration is not None:
        result["duration"] = duration
    if result:
        data["result"] = result
    if lesson is not None:
        data["context"] = {
            "contextActivities": {
                "parent": [{"id": activity_iri("lesson", lesson.translation_key)}]
            }
        }
    return data


def view(lesson, **kwargs) -> dict:
    return statement("lesson", lesson.translation_key, **kwargs)


def h5p(setup: CourseSetup, scaled: float, **kwargs) -> dict:
    return statement(
        "h5p",
        setup.h5p_key,
        verb=kwargs.pop("verb", "answered"),
        lesson=setup.h5p_lesson,
        score={"scaled": scaled, "raw": round(scaled * 10), "min": 0, "max": 10},
        **kwargs,
    )


def quiz_passed(setup: CourseSetup, **kwargs) -> dict:
    return statement(
        "quiz", setup.quiz_key, verb="passed", lesson=setup.quiz_lesson, success=True, **kwargs
    )


def complete_all(setup: CourseSetup) -> list[dict]:
    """Statements that complete every lesson of a course."""
    views = [view(lesson) for lesson in setup.lessons]
    return [*views, h5p(setup, 0.9, completion=True), quiz_passed(setup)]


def _is_quiz_result(item) -> bool:
    target = item.get("object") if isinstance(item, dict) else None
    return (
        isinstance(target, dict)
        and "/xapi/activities/quiz/" in str(target.get("id", ""))
        and ("result" in item or item.get("verb", {}).get("id") in (ADL + "passed", ADL + "failed"))
    )


def quiz_result(learner, item: dict):
    """Record a quiz result as a submitted attempt does (the server grades quizzes; the
    browser may not send quiz results): a submitted attempt row, then quiz_result_record."""
    from lms.records.services import quiz_result_record
    from lms.records.xapi import parse_statement

    parsed = parse_statement(item)
    passed = parsed.verb == ADL + "passed" or parsed.success is True
    attempt = submitted_attempt(learner, item)
    score = parsed.score_percent if parsed.score_percent is not None else (100.0 if passed else 0)
    return quiz_result_record(attempt=attempt, quiz_grade_percent=score, passed=passed)


def submitted_attempt(learner, item: dict):
    """A submitted quiz attempt row for a quiz statement's quiz and lesson (no questions)."""
    from django.utils import timezone

    from lms.records.models import QuizAttempt
    from lms.records.xapi import parse_statement

    parsed = parse_statement(item)
    passed = parsed.verb == ADL + "passed" or parsed.success is True
    now = timezone.now()
    return QuizAttempt.objects.create(
        learner=learner,
        quiz_key=parsed.activity_key,
        lesson_key=parsed.lesson_key,
        course_key=uuid.uuid4(),
        number=QuizAttempt.objects.filter(learner=learner, quiz_key=parsed.activity_key).count()
        + 1,
        state="submitted",
        seed=0,
        rules={},
        pass_mark_percent=70,
        started_at=now,
        submitted_at=now,
        max_points=1,
        points=1 if passed else 0,
        score_percent=100.0 if passed else 0.0,
        passed=passed,
    )


def post(client, payload, **extra):
    """POST statements as the browser does. Quiz results in the payload (quiz_passed(...),
    a failed quiz) stand for taking the quiz: the browser may not send them any more, so
    they are recorded as a submitted attempt would record them, and the rest is posted."""
    from django.http import JsonResponse

    from lms.people.models import LearnerProfile

    items = payload if isinstance(payload, list) else [payload]
    quiz_items = [item for item in items if _is_quiz_result(item)]
    if quiz_items:
        user_id = client.session.get("_auth_user_id")
        learner = LearnerProfile.objects.get(user_id=user_id)
        rest = [item for item in items if not _is_quiz_result(item)]
        response = _post(client, rest, **extra) if rest else None
        if response is None or response.status_code == 200:
            for item in quiz_items:
                quiz_result(learner, item)
        return response or JsonResponse([item["id"] for item in quiz_items], safe=False)
    return _post(client, payload, **extra)


def _post(client, payload, **extra):
    return client.post(
        "/xapi/statements",
        data=json.dumps(payload),
        content_type="application/json",
        **XAPI_HEADERS,
        **extra,
    )


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def jakarta_admin(world):
    return city_admin(world.jakarta)


@pytest.fixture
def sorong_admin(world):
    return city_admin(world.sorong)
