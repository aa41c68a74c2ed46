"""Lesson content and completion criteria: stored as real fields, validated, readable by
lms.records."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from courses import activities, selectors
from courses.activities import ActivityInfo, ActivityKind
from courses.blocks import BaseStreamBlock, VideoBlock
from courses.models import CompletionRule, LessonPage
from tests.courses.conftest import make_course, make_lesson, paragraph

H5P_KEY = "7f1c2e0a-3b4d-4c5e-8f90-1a2b3c4d5e6f"
QUIZ_KEY = "0b7a4d4e-9c1f-4c55-a0de-2f6a9a1c3b21"


def h5p(key=H5P_KEY, title="Latihan interaktif"):
    return {"type": "h5p", "value": {"key": key, "title": title}}


def quiz(key=QUIZ_KEY, title="Kuis akhir"):
    return {"type": "quiz", "value": {"key": key, "title": title}}


class FakeCatalogue:
    def __init__(self, known):
        self.known = set(known)
        self.calls = 0

    def resolve(self, keys):
        self.calls += 1
        return {
            key: ActivityInfo(key=key, title="Aktivitas", launch_url=f"/h5p/{key}/")
            for key in keys
            if key in self.known
        }


@pytest.fixture
def use_catalogue(monkeypatch):
    """Swap the catalogue of a kind for the test (None: no app registered), restoring the
    real one (the content app registers the H5P catalogue) afterwards."""

    def _use(kind, catalogue):
        if catalogue is None:
            monkeypatch.delitem(activities._catalogues, kind, raising=False)
        else:
            monkeypatch.setitem(activities._catalogues, kind, catalogue)

    return _use


@pytest.fixture(autouse=True)
def _no_activity_apps(use_catalogue):
    """Keys here are made up: test as if no app owned activities, unless a test says."""
    use_catalogue(ActivityKind.H5P, None)
    use_catalogue(ActivityKind.QUIZ, None)


@pytest.fixture
def course(catalogue):
    return make_course(catalogue)


@pytest.mark.django_db
class CompletionCriteriaTests:
    def test_default_rule_is_viewed_and_required(self, course):
        lesson = make_lesson(course)
        criteria = lesson.completion_criteria(course_key=course.translation_key)
        assert criteria.rule == CompletionRule.VIEWED
        assert criteria.threshold is None
        assert criteria.is_required
        assert criteria.lesson_key == lesson.translation_key
        assert criteria.activity_keys == ()

    def test_h5p_score_rule_with_threshold_and_an_h5p_block(self, course):
        lesson = make_lesson(
            course,
            body=[paragraph("Baca dulu."), h5p()],
            completion_rule="h5p_score",
            completion_threshold=80,
        )
        criteria = lesson.completion_criteria()
        assert (criteria.rule, criteria.threshold, criteria.activity_keys) == (
            "h5p_score",
            80,
            (H5P_KEY,),
        )

    @pytest.mark.parametrize("threshold", [None, 0, 101])
    def test_h5p_threshold_must_be_1_to_100(self, course, threshold):
        with pytest.raises(ValidationError) as error:
            make_lesson(
                course, body=[h5p()], completion_rule="h5p_score", completion_threshold=threshold
            )
        assert "completion_threshold" in error.value.message_dict
        assert not LessonPage.objects.exists()

    def test_h5p_rule_needs_an_h5p_block(self, course):
        with pytest.raises(ValidationError) as error:
            make_lesson(
                course,
                body=[paragraph("Tanpa aktivitas.")],
                completion_rule="h5p_score",
                completion_threshold=70,
            )
        assert "completion_rule" in error.value.message_dict
        assert not LessonPage.objects.exists()

    def test_threshold_only_with_the_h5p_rule(self, course):
        with pytest.raises(ValidationError) as error:
            make_lesson(course, body=[h5p()], completion_threshold=50)
        assert "completion_threshold" in error.value.message_dict

    def test_quiz_rule_needs_a_quiz_block(self, course):
        with pytest.raises(ValidationError):
            make_lesson(course, completion_rule="quiz_passed")
        lesson = make_lesson(course, body=[quiz()], completion_rule="quiz_passed")
        assert lesson.completion_criteria().activity_keys == (QUIZ_KEY,)

    def test_malformed_activity_key_is_refused_by_the_service(self, course):
        with pytest.raises(ValidationError) as error:
            make_lesson(course, body=[h5p(key="bukan-uuid")])
        assert "body" in error.value.message_dict
        assert not LessonPage.objects.exists()

    def test_database_refuses_a_threshold_without_the_h5p_rule(self, course):
        lesson = make_lesson(course)
        with pytest.raises(IntegrityError), transaction.atomic():
            LessonPage.objects.filter(pk=lesson.pk).update(completion_threshold=50)

    def test_course_completion_is_every_required_lesson(self, course):
        make_lesson(course, is_required=True)
        make_lesson(course, is_required=False)
        make_lesson(course, is_required=True, publish=False)
        criteria = selectors.course_completion_criteria(course)
        assert [c.is_required for c in criteria] == [True, False]
        assert {c.course_key for c in criteria} == {course.translation_key}


@pytest.mark.django_db
class AdminLessonFormTests:
    def _post(self, client, course, **fields):
        data = nested_form_data(
            {
                "title": "Pelajaran",
                "slug": "pelajaran",
                "body": streamfield([("paragraph", rich_text("<p>Isi.</p>"))]),
                "completion_rule": "viewed",
                "completion_threshold": "",
                "is_required": "on",
                "comments": {
                    "TOTAL_FORMS": "0",
                    "INITIAL_FORMS": "0",
                    "MIN_NUM_FORMS": "0",
                    "MAX_NUM_FORMS": "1000",
                },
            }
        )
        data.update(fields)
        return client.post(
            reverse("wagtailadmin_pages:add", args=("courses", "lessonpage", course.pk)), data
        )

    def test_bad_completion_settings_show_form_errors_not_a_500(self, admin_client, course):
        response = self._post(
            admin_client, course, completion_rule="h5p_score", completion_threshold="150"
        )
        assert response.status_code == 200
        assert not LessonPage.objects.exists()

    def test_h5p_rule_without_h5p_block_is_refused_in_the_form(self, admin_client, course):
        response = self._post(
            admin_client, course, completion_rule="h5p_score", completion_threshold="80"
        )
        assert response.status_code == 200
        assert response.context["form"].errors
        assert not LessonPage.objects.exists()

    def test_malformed_activity_key_is_refused_in_the_form(self, admin_client, course):
        body = streamfield([("h5p", {"key": "bukan-uuid", "title": "Latihan"})])
        fields = nested_form_data({"body": body})
        response = self._post(admin_client, course, **fields)
        assert response.status_code == 200
        assert not LessonPage.objects.exists()


class ActivityBlockTests:
    def test_key_is_normalised_and_validated(self):
        block = BaseStreamBlock().child_blocks["h5p"]
        value = block.to_python({"key": H5P_KEY.upper(), "title": "Latihan"})
        assert block.clean(value)["key"] == H5P_KEY
        with pytest.raises(ValidationError):
            block.clean(block.to_python({"key": "123", "title": "Latihan"}))

    def test_known_catalogue_refuses_unknown_keys(self, use_catalogue):
        block = BaseStreamBlock().child_blocks["h5p"]
        use_catalogue(ActivityKind.H5P, FakeCatalogue([H5P_KEY]))
        block.clean(block.to_python({"key": H5P_KEY, "title": "Latihan"}))
        with pytest.raises(ValidationError):
            block.clean(block.to_python({"key": str(uuid.uuid4()), "title": "Latihan"}))

    def test_unresolved_activity_renders_a_notice(self):
        block = BaseStreamBlock().child_blocks["h5p"]
        html = block.render(block.to_python({"key": H5P_KEY, "title": "Latihan"}))
        assert "data-h5p-content-id" not in html
        assert 'class="notice"' in html

    def test_resolved_activity_renders_a_player_mount(self, use_catalogue):
        block = BaseStreamBlock().child_blocks["h5p"]
        use_catalogue(ActivityKind.H5P, FakeCatalogue([H5P_KEY]))
        html = block.render(block.to_python({"key": H5P_KEY, "title": "Latihan"}))
        assert f'data-h5p-content-id="{H5P_KEY}"' in html
        assert f"/h5p/{H5P_KEY}/" in html

    def test_video_needs_exactly_one_source(self):
        block = VideoBlock()
        with pytest.raises(ValidationError):
            block.clean(block.to_python({"title": "Video", "embed": None, "file": None}))

    def test_every_block_has_icon_template_and_description(self):
        for name, child in BaseStreamBlock().child_blocks.items():
            assert child.meta.icon, name
            assert child.meta.template.startswith("blocks/"), name
            assert child.meta.description, name


@pytest.mark.django_db
class LessonActivityRenderingTests:
    def test_lesson_page_resolves_all_activities_in_one_batch(self, client, course, use_catalogue):
        lesson = make_lesson(
            course,
            body=[h5p(), h5p(key=str(uuid.uuid4()), title="Latihan 2"), quiz()],
            completion_rule="h5p_score",
            completion_threshold=60,
        )
        fake = FakeCatalogue([H5P_KEY])
        use_catalogue(ActivityKind.H5P, fake)
        response = client.get(lesson.url)
        assert response.status_code == 200
        assert fake.calls == 1
        html = response.content.decode()
        assert html.count("data-h5p-content-id") == 1
        assert html.count('class="notice"') == 2
        # The player script comes with lessons that have a playable H5P activity.
        assert response.context["has_h5p_player"]
        assert "h5p-lesson.js" in html

    def test_lesson_without_h5p_gets_no_player_script(self, client, course):
        lesson = make_lesson(course)
        response = client.get(lesson.url)
        assert not response.context["has_h5p_player"]
        assert "<script" not in response.content.decode()
