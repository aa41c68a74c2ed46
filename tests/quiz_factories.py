"""Builders for the question bank and quizzes (courses.quiz_models).

``question(category, "single", answers=[("Jakarta", 100), ("Bandung", 0)])`` makes a
question with its answer rows; tuples are (text, fraction[, feedback]) or dicts of
QuestionAnswer fields.
"""

from decimal import Decimal

from courses.quiz_models import Question, QuestionAnswer, QuestionCategory, Quiz, QuizSlot


def category(course, name: str = "Umum") -> QuestionCategory:
    return QuestionCategory.objects.get_or_create(course=course, name=name)[0]


def question(
    category: QuestionCategory,
    kind: str,
    *,
    answers,
    name: str | None = None,
    text: str = "Pertanyaan?",
    points="1",
    **fields,
) -> Question:
    made = Question.objects.create(
        category=category,
        kind=kind,
        name=name or f"{kind} {Question.objects.count() + 1}",
        text=text,
        points=Decimal(str(points)),
        **fields,
    )
    for order, answer in enumerate(answers):
        if isinstance(answer, dict):
            values = dict(answer)
        else:
            values = {"text": answer[0], "fraction": Decimal(str(answer[1]))}
            if len(answer) > 2:
                values["feedback"] = answer[2]
        QuestionAnswer.objects.create(question=made, sort_order=order, **values)
    return made


def single_choice(category, *, right: str = "Benar", wrong=("Salah 1", "Salah 2"), **fields):
    return question(
        category,
        "single",
        answers=[(right, 100, "Tepat."), *[(text, 0, "Kurang tepat.") for text in wrong]],
        **fields,
    )


def quiz(course, *, questions=(), draws=(), **fields) -> Quiz:
    """A quiz with fixed ``questions`` and then ``draws`` = [(category, count), ...]."""
    made = Quiz.objects.create(course=course, title=fields.pop("title", "Kuis"), **fields)
    order = 0
    for fixed in questions:
        QuizSlot.objects.create(quiz=made, question=fixed, sort_order=order)
        order += 1
    for drawn_from, count in draws:
        QuizSlot.objects.create(quiz=made, category=drawn_from, draw_count=count, sort_order=order)
        order += 1
    return made
