"""The demo question bank and quizzes: every question type, valid specs, a quiz lesson per
city and in the national security course, and safe to load twice."""

import pytest

from courses import grading
from courses.demo import load_demo_courses
from courses.demo_quizzes import (
    CITY_QUESTION_NAMES,
    NATIONAL_COURSE_SLUG,
    QUESTIONS,
    load_demo_quizzes,
)
from courses.models import CoursePage, LessonPage
from courses.quiz_models import Question, QuestionAnswer, QuestionCategory, Quiz, QuizSlot

CITIES = ("Jakarta", "Sorong")


@pytest.fixture
def demo_courses(curriculum_index, make_city):
    pages = {setup.city.slug: setup.curriculum for setup in map(make_city, CITIES)}
    load_demo_courses(index=curriculum_index, city_pages=pages)
    return pages


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (QuestionCategory, Question, QuestionAnswer, Quiz, QuizSlot, LessonPage)
    )


@pytest.mark.django_db
class DemoQuizzesTests:
    def test_bank_covers_every_type_in_two_or_three_categories(self):
        assert len(QUESTIONS) >= 15
        assert {item.kind for item in QUESTIONS} == set(grading.KINDS)
        assert 2 <= len({item.category for item in QUESTIONS}) <= 3
        assert len({item.name for item in QUESTIONS}) == len(QUESTIONS)
        assert {item.kind for item in QUESTIONS if item.name in CITY_QUESTION_NAMES} == set(
            grading.KINDS
        )

    def test_builds_valid_questions_and_quiz_lessons(self, demo_courses):
        quizzes = load_demo_quizzes()
        assert len(quizzes) == 1 + len(CITIES)
        for question in Question.objects.prefetch_related("answers"):
            grading.validate_spec(question.spec())  # raises SpecError when invalid
        national = CoursePage.objects.get(slug=NATIONAL_COURSE_SLUG)
        national_quiz = Quiz.objects.get(course=national)
        assert national_quiz.slots.filter(category__isnull=False).count() == 3
        for quiz in quizzes:
            lessons = [
                lesson
                for lesson in LessonPage.objects.live().child_of(quiz.course)
                if str(quiz.key) in lesson.activity_keys("quiz")
            ]
            assert len(lessons) == 1, quiz.title
            assert lessons[0].completion_rule == "quiz_passed"
            assert quiz.slots.exists()
        for page in demo_courses.values():
            city_quizzes = Quiz.objects.filter(course__path__startswith=page.path)
            assert city_quizzes.count() == 1
            assert city_quizzes.get().slots.count() == len(CITY_QUESTION_NAMES)

    def test_running_twice_changes_nothing(self, demo_courses):
        load_demo_quizzes()
        before = counts()
        load_demo_quizzes()
        assert counts() == before
