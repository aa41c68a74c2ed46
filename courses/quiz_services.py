"""Writes of quiz definitions: saving a question (with its version), importing and
exporting question files, question categories, and the checks a quiz's slots must pass.

Every write runs in one transaction and validates first, so a refused question or file
leaves the bank exactly as it was. Question rules are ``courses.grading.validate_spec``,
the same rules an attempt relies on when it grades.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses.grading import SpecError, validate_spec
from courses.question_formats import (
    FormatError,
    ParsedQuestion,
    export_gift,
    parse_aiken,
    parse_gift,
)
from courses.quiz_models import Question, QuestionAnswer, QuestionCategory, Quiz

FORMATS = {"gift": parse_gift, "aiken": parse_aiken}
_ANSWER_FIELDS = ("text", "fraction", "feedback", "match_text", "tolerance")


@dataclass
class ImportResult:
    created: int
    categories: list[str] = field(default_factory=list)
    questions: list[ParsedQuestion] = field(default_factory=list)


def _answer_rows(answers: list[dict]) -> list[QuestionAnswer]:
    rows = []
    for order, answer in enumerate(answers):
        values = {key: answer[key] for key in _ANSWER_FIELDS if answer.get(key) is not None}
        if values.get("tolerance") == "":
            values.pop("tolerance")
        rows.append(QuestionAnswer(sort_order=order, **values))
    return rows


def _answer_problems(rows: list[QuestionAnswer]) -> list[str]:
    """Model-level problems of answer rows (sizes, decimal places), numbered for a person."""
    problems = []
    for number, row in enumerate(rows, start=1):
        try:
            # Empty texts are validate_spec's call: a matching distractor has no prompt.
            row.full_clean(exclude=["question", "sort_order", "text"])
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                label = QuestionAnswer._meta.get_field(field_name).verbose_name
                for message in messages:
                    problems.append(
                        _("Answer %(number)s, %(field)s: %(message)s")
                        % {"number": number, "field": label, "message": message}
                    )
    return problems


def _spec_of(question: Question, rows: list[QuestionAnswer]) -> dict:
    """What ``question.spec()`` will give once saved with these rows."""
    return {
        "key": str(question.key),
        "version": question.version,
        "kind": question.kind,
        "name": question.name,
        "text": question.text,
        "points": str(question.points),
        "general_feedback": question.general_feedback,
        "partial_credit": question.partial_credit,
        "case_sensitive": question.case_sensitive,
        "answers": [
            {
                "id": f"a{index}",
                "text": row.text,
                "fraction": str(row.fraction),
                "feedback": row.feedback,
                "match_text": row.match_text,
                "tolerance": None if row.tolerance is None else str(row.tolerance),
            }
            for index, row in enumerate(rows)
        ],
    }


def _comparable(spec: dict) -> dict:
    """A spec without what a save itself changes, with numbers compared as numbers."""
    compared = {key: value for key, value in spec.items() if key not in ("key", "version")}
    compared["points"] = Decimal(str(spec["points"]))
    compared["answers"] = [
        {
            **answer,
            "fraction": Decimal(str(answer["fraction"])),
            "tolerance": None if answer["tolerance"] is None else Decimal(answer["tolerance"]),
        }
        for answer in spec["answers"]
    ]
    return compared


@transaction.atomic
def question_save(*, question: Question, answers: list[dict], by=None) -> Question:
    """Save ``question`` with ``answers`` (dicts of text/fraction/feedback/match_text/
    tolerance, in order) replacing its answer rows. An existing question whose spec
    changes gets ``version + 1``; an unchanged one is left alone. Raises ValidationError
    with every problem, and then nothing is saved."""
    rows = _answer_rows(answers)
    problems: list[str] = []
    try:
        question.full_clean(exclude=["key", "version", "created_by"])
    except ValidationError as error:
        problems.extend(message for messages in error.message_dict.values() for message in messages)
    problems.extend(_answer_problems(rows))
    if not problems:
        # Clean the rows' values (strings to Decimal) as they will be stored.
        spec = _spec_of(question, rows)
        try:
            validate_spec(spec)
        except SpecError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError(problems)

    if question.pk:
        stored = (
            Question.objects.select_for_update().prefetch_related("answers").get(pk=question.pk)
        )
        # A concurrent editor's bump must not be lost: count from the stored version.
        question.version = stored.version
        if _comparable(stored.spec()) == _comparable(_spec_of(question, rows)):
            if stored.category_id != question.category_id:
                question.save(update_fields=["category", "updated_at"])
            return question
        question.version = stored.version + 1
    elif by is not None and question.created_by_id is None:
        question.created_by = by

    # Answers given in memory (an admin form) are replaced by ``answers``, not committed.
    getattr(question, "_cluster_related_objects", {}).pop("answers", None)
    question.save()
    QuestionAnswer.objects.filter(question=question).delete()
    for row in rows:
        row.question = question
    QuestionAnswer.objects.bulk_create(rows)
    getattr(question, "_prefetched_objects_cache", {}).pop("answers", None)
    return question


def _default_category_name() -> str:
    return _("Default")


def questions_import(
    *,
    course,
    text: str,
    fmt: str,
    category_name: str | None = None,
    by=None,
    dry_run: bool = False,
) -> ImportResult:
    """Import a GIFT or Aiken file into the course's bank, all or nothing: any problem
    raises FormatError (every problem with its line) and nothing is written. Questions
    without a ``$CATEGORY`` go to ``category_name``. ``dry_run`` checks without writing."""
    parser = FORMATS.get(fmt)
    if parser is None:
        raise ValidationError(
            _("Unknown file format “%(format)s”. Choose GIFT or Aiken.") % {"format": fmt}
        )
    default_name = (category_name or "").strip() or _default_category_name()
    parsed = parser(text)

    rows: list[tuple[ParsedQuestion, Question, list[QuestionAnswer]]] = []
    errors: list[tuple[int, str]] = []
    if len(default_name) > QuestionCategory._meta.get_field("name").max_length:
        errors.append((1, _("The category name is too long.")))
    for item in parsed:
        question = Question(
            kind=item.kind,
            name=item.name,
            text=item.text,
            points=item.points,
            general_feedback=item.general_feedback,
            partial_credit=item.partial_credit,
            case_sensitive=item.case_sensitive,
            created_by=by,
        )
        answer_rows = _answer_rows(item.answers)
        try:
            question.full_clean(exclude=["key", "version", "created_by", "category"])
        except ValidationError as error:
            errors.extend(
                (item.line, message)
                for messages in error.message_dict.values()
                for message in messages
            )
        errors.extend((item.line, problem) for problem in _answer_problems(answer_rows))
        rows.append((item, question, answer_rows))
    if errors:
        raise FormatError(errors)

    names = list(dict.fromkeys(item.category or default_name for item in parsed))
    if dry_run:
        return ImportResult(created=0, categories=names, questions=parsed)

    with transaction.atomic():
        # Reuse a category whatever its case, as category_create refuses "spbe" beside "SPBE".
        existing = {
            category.name.casefold(): category
            for category in QuestionCategory.objects.filter(course=course)
        }
        categories = {}
        for name in names:
            categories[name] = existing.get(name.casefold())
            if categories[name] is None:
                categories[name] = QuestionCategory.objects.create(course=course, name=name)
                existing[name.casefold()] = categories[name]
        questions = []
        for item, question, _answer_list in rows:
            question.category = categories[item.category or default_name]
            questions.append(question)
        Question.objects.bulk_create(questions)
        answers = []
        for question, (_item, _question, answer_rows) in zip(questions, rows, strict=True):
            for row in answer_rows:
                row.question = question
                answers.append(row)
        QuestionAnswer.objects.bulk_create(answers)
    return ImportResult(created=len(questions), categories=names, questions=parsed)


def questions_export(*, course, category: QuestionCategory | None = None) -> str:
    """The course's questions (or one category's) as GIFT, category by category."""
    if category is not None and category.course_id != course.pk:
        raise ValidationError(_("This category belongs to another course."))
    questions = (
        Question.objects.filter(category__course=course)
        .select_related("category")
        .prefetch_related("answers")
        .order_by("category__name", "name", "pk")
    )
    if category is not None:
        questions = questions.filter(category=category)
    return export_gift(
        dict(question.spec(), category=question.category.name) for question in questions
    )


@transaction.atomic
def category_create(*, course, name: str, description: str = "") -> QuestionCategory:
    name = (name or "").strip()
    if QuestionCategory.objects.filter(course=course, name__iexact=name).exists():
        raise ValidationError(
            _("The category “%(name)s” already exists in this course. Choose another name.")
            % {"name": name}
        )
    category = QuestionCategory(course=course, name=name, description=description)
    category.full_clean()
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as error:  # created by someone else a moment ago
        raise ValidationError(
            _("The category “%(name)s” already exists in this course. Choose another name.")
            % {"name": name}
        ) from error
    return category


def quiz_slots_check(quiz: Quiz) -> list[str]:
    """Problems of the quiz's slots (saved, or set in memory by a form): questions or
    categories of another course, and random draws larger than their category. Runs a
    fixed number of queries whatever the number of slots."""
    slots = list(quiz.slots.all())
    question_ids = {slot.question_id for slot in slots if slot.question_id}
    category_ids = {slot.category_id for slot in slots if slot.category_id}
    questions = {
        row["pk"]: row
        for row in Question.objects.filter(pk__in=question_ids).values(
            "pk", "name", "category_id", "category__course_id"
        )
    }
    categories = {
        row["pk"]: row
        for row in QuestionCategory.objects.filter(pk__in=category_ids)
        .annotate(question_count=Count("questions"))
        .values("pk", "name", "course_id", "question_count")
    }

    problems: list[str] = []
    wanted: Counter = Counter()
    for number, slot in enumerate(slots, start=1):
        if bool(slot.question_id) == bool(slot.category_id):
            problems.append(
                _("Quiz question %(number)s: choose either a question or a random category.")
                % {"number": number}
            )
            continue
        if slot.question_id:
            question = questions.get(slot.question_id)
            if question and question["category__course_id"] != quiz.course_id:
                problems.append(
                    _(
                        "Quiz question %(number)s: “%(name)s” belongs to another course. "
                        "Choose a question from this course's bank."
                    )
                    % {"number": number, "name": question["name"]}
                )
            continue
        category = categories.get(slot.category_id)
        if category and category["course_id"] != quiz.course_id:
            problems.append(
                _(
                    "Quiz question %(number)s: the category “%(name)s” belongs to another "
                    "course. Choose a category of this course."
                )
                % {"number": number, "name": category["name"]}
            )
            continue
        wanted[slot.category_id] += slot.draw_count or 0

    # An attempt never draws a question the quiz already has as a fixed one.
    fixed_per_category = Counter(question["category_id"] for question in questions.values())
    for category_id, count in wanted.items():
        category = categories.get(category_id)
        if category is None:
            continue
        fixed = fixed_per_category[category_id]
        available = category["question_count"] - fixed
        if count <= available:
            continue
        values = {"name": category["name"], "available": available, "wanted": count}
        if fixed:
            message = ngettext(
                "The category “%(name)s” has %(available)s question left besides the quiz's "
                "fixed questions, but the quiz draws %(wanted)s random questions from it. "
                "Add questions or draw fewer.",
                "The category “%(name)s” has %(available)s questions left besides the quiz's "
                "fixed questions, but the quiz draws %(wanted)s random questions from it. "
                "Add questions or draw fewer.",
                available,
            )
        else:
            message = ngettext(
                "The category “%(name)s” has only %(available)s question, but the quiz "
                "draws %(wanted)s random questions from it. Add questions or draw fewer.",
                "The category “%(name)s” has only %(available)s questions, but the quiz "
                "draws %(wanted)s random questions from it. Add questions or draw fewer.",
                available,
            )
        problems.append(message % values)
    return problems
