"""The write path's per-process copy of course structure (selectors.content_for_lessons_cached):
reused while fresh, dropped at once in the process that publishes, and in every other
process within a second through the generation number in the shared cache."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from lms.records import selectors

pytestmark = pytest.mark.django_db

SHARED = {
    "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"},
}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(selectors, "_clock", clock)
    selectors._content_cache.clear()
    selectors._content_generation.update(value=None, checked_until=0.0)
    yield clock
    selectors._content_cache.clear()
    selectors._content_generation.update(value=None, checked_until=0.0)


@pytest.fixture
def computed(monkeypatch):
    """How many times the structure was read from the database."""
    calls = []
    real = selectors.content_for_lessons

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(selectors, "content_for_lessons", counting)
    return calls


@pytest.fixture
def shared_cache(tmp_path):
    settings = {"default": {**SHARED["default"], "LOCATION": str(tmp_path / "cache")}}
    with override_settings(CACHES=settings):
        yield


def ask(world):
    key = world.course.viewed.translation_key
    return selectors.content_for_lessons_cached(lesson_keys=[key], city_id=world.jakarta.pk)


def test_with_a_shared_cache_an_answer_is_reused_for_a_minute(world, clock, computed, shared_cache):
    first = ask(world)
    assert world.course.course.translation_key in first
    clock.now += selectors.CONTENT_CACHE_SECONDS - 1
    assert ask(world) is first
    assert len(computed) == 1
    clock.now += 2
    ask(world)
    assert len(computed) == 2


def test_another_process_publishing_is_seen_within_a_second(world, clock, computed, shared_cache):
    ask(world)
    # Another process published: it bumped the generation in the shared cache.
    cache.set(selectors.CONTENT_GENERATION_KEY, "elsewhere", None)
    clock.now += selectors.CONTENT_CHECK_SECONDS / 2
    ask(world)
    assert len(computed) == 1  # not checked again yet
    clock.now += selectors.CONTENT_CHECK_SECONDS
    ask(world)
    assert len(computed) == 2
    clock.now += selectors.CONTENT_CHECK_SECONDS + 0.1
    ask(world)
    assert len(computed) == 2  # same generation: the new answer stays


def test_publishing_here_clears_now_and_announces_after_commit(
    world, clock, computed, shared_cache, django_capture_on_commit_callbacks
):
    ask(world)
    lesson = world.course.viewed
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lesson.save_revision().publish()
    assert cache.get(selectors.CONTENT_GENERATION_KEY) is None  # not before the commit
    ask(world)
    assert len(computed) == 2  # this process forgot at once
    for callback in callbacks:
        callback()
    assert cache.get(selectors.CONTENT_GENERATION_KEY) is not None
    ask(world)
    assert len(computed) == 3  # and again at the commit: a read in between saw old rows


def test_without_a_shared_cache_answers_live_five_seconds(world, clock, computed):
    assert not selectors._shared_cache()
    ask(world)
    clock.now += selectors.CONTENT_CACHE_LOCAL_SECONDS - 1
    ask(world)
    assert len(computed) == 1
    clock.now += 2
    ask(world)
    assert len(computed) == 2


def test_a_published_criteria_change_applies_to_the_next_statement(world, clock, learner_client):
    """End to end in one process: the lesson's rule changes and is published; the next
    statement is judged by the new rule."""
    from lms.records.models import ActivityProgress
    from tests.lms.records.conftest import h5p, post

    setup = world.course
    post(learner_client, h5p(setup, 0.5))  # 50 %: below the 80 % threshold
    key = setup.h5p_lesson.translation_key
    assert ActivityProgress.objects.get(activity_key=key).completed_at is None
    lesson = type(setup.h5p_lesson).objects.get(pk=setup.h5p_lesson.pk)
    lesson.completion_threshold = 40
    lesson.save_revision().publish()
    post(learner_client, h5p(setup, 0.5))
    assert ActivityProgress.objects.get(activity_key=key).completed_at is not None


def test_a_failing_cache_does_not_turn_a_committed_publish_into_an_error(
    world, clock, computed, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import caches

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(caches["default"], "set", unreachable)
    ask(world)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        world.course.viewed.save_revision().publish()
    assert callbacks  # the announcement ran, failed, and was logged, not raised
    ask(world)
    assert len(computed) == 2
