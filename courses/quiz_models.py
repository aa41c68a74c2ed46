"""The question bank and quizzes: content that trainers author, per course.

A course owns its question bank (categories of questions); a quiz of that course draws
fixed questions or N random questions per category. Lessons place a quiz by its stable
``key`` (the QuizBlock), exactly as they place an H5P package by its content id.

Attempts are learner data and live in ``lms.records``: when an attempt starts it copies
each drawn question as a snapshot (``Question.spec()``), so later edits never change what
a learner saw; a fix is applied to past attempts only by an explicit regrade, which keeps
the history.

Every answer row of a question is one ``QuestionAnswer``; what its fields mean depends on
the question type:

=============== ============================ =====================================
type            ``text``                     other fields
=============== ============================ =====================================
single          a choice                     ``fraction``: credit (%) if chosen
multiple        a choice                     ``fraction``: >0 correct, <=0 wrong
truefalse       "true" / "false"             ``fraction``: 100 for the right one
short           an accepted answer           ``fraction``: credit (%) if matched
numeric         the value (e.g. "3.5")       ``tolerance``: +/- accepted
matching        the prompt (left)            ``match_text``: its match (right)
ordering        an item, in correct order    (the row order is the answer)
=============== ============================ =====================================
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable


class QuestionType(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple response")
    TRUE_FALSE = "truefalse", _("True/false")
    SHORT = "short", _("Short answer")
    NUMERIC = "numeric", _("Numeric")
    MATCHING = "matching", _("Matching")
    ORDERING = "ordering", _("Ordering")


class GradingMethod(models.TextChoices):
    """How the quiz grade is taken from several attempts (as Moodle)."""

    HIGHEST = "highest", _("Highest grade")
    AVERAGE = "average", _("Average grade")
    FIRST = "first", _("First attempt")
    LAST = "last", _("Last attempt")


class ReviewWhen(models.TextChoices):
    """When a learner may see one part of the review of a submitted attempt."""

    NEVER = "never", _("Never")
    AFTER_SUBMIT = "after_submit", _("Right after submitting")
    AFTER_CLOSE = "after_close", _("After the quiz closes")


class QuestionCategory(models.Model):
    """A folder of the course's question bank; quizzes draw random questions from one."""

    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.CASCADE,
        related_name="question_categories",
        verbose_name=_("course"),
    )
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("question category")
        verbose_name_plural = _("question categories")
        ordering = ["course_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "name"], name="courses_question_category_unique_name"
            )
        ]

    def __str__(self):
        return self.name


class Question(ClusterableModel):
    """One question of a course's bank. ``version`` goes up on every saved change, so an
    attempt knows which version it was graded with."""

    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    category = models.ForeignKey(
        QuestionCategory,
        on_delete=models.PROTECT,
        related_name="questions",
        verbose_name=_("category"),
    )
    kind = models.CharField(_("type"), max_length=12, choices=QuestionType.choices)
    name = models.CharField(
        _("name"), max_length=255, help_text=_("Short name trainers see in the question bank.")
    )
    text = models.TextField(_("question text"))
    points = models.DecimalField(
        _("points"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    general_feedback = models.TextField(
        _("general feedback"),
        blank=True,
        help_text=_("Shown after the attempt whatever the answer, if the quiz allows it."),
    )
    partial_credit = models.BooleanField(
        _("partial credit"),
        default=True,
        help_text=_(
            "Multiple response, matching and ordering: give credit for each correct part. "
            "Off: all or nothing."
        ),
    )
    case_sensitive = models.BooleanField(
        _("case sensitive"),
        default=False,
        help_text=_("Short answer: “Jakarta” and “jakarta” count as different answers."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["category_id", "name", "pk"]

    def __str__(self):
        return self.name

    def spec(self) -> dict:
        """The question as an attempt keeps it (see courses.grading): plain JSON with
        answer ids that stay the same for this version. Uses ``answers`` as prefetched."""
        answers = sorted(self.answers.all(), key=lambda answer: (answer.sort_order or 0, answer.pk))
        return {
            "key": str(self.key),
            "version": self.version,
            "kind": self.kind,
            "name": self.name,
            "text": self.text,
            "points": str(self.points),
            "general_feedback": self.general_feedback,
            "partial_credit": self.partial_credit,
            "case_sensitive": self.case_sensitive,
            "answers": [
                {
                    "id": f"a{index}",
                    "text": answer.text,
                    "fraction": str(answer.fraction),
                    "feedback": answer.feedback,
                    "match_text": answer.match_text,
                    "tolerance": None if answer.tolerance is None else str(answer.tolerance),
                }
                for index, answer in enumerate(answers)
            ],
        }


class QuestionAnswer(Orderable):
    """One choice / accepted answer / pair / item of a question (see the module table)."""

    question = ParentalKey(Question, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(_("answer"))
    fraction = models.DecimalField(
        _("credit (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("-100")), MaxValueValidator(Decimal("100"))],
        help_text=_("Share of the question's points for this answer; negative for a penalty."),
    )
    feedback = models.TextField(_("feedback"), blank=True)
    match_text = models.CharField(
        _("matching answer"), max_length=255, blank=True, help_text=_("Matching questions only.")
    )
    tolerance = models.DecimalField(
        _("tolerance"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Numeric questions only: how far from the value an answer may be."),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self):
        return self.text[:60]


class Quiz(ClusterableModel):
    """A quiz of a course: which questions, and the rules an attempt copies when it starts."""

    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.CASCADE,
        related_name="quizzes",
        verbose_name=_("course"),
    )
    title = models.CharField(_("title"), max_length=255)
    intro = models.TextField(_("introduction"), blank=True)
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=_("Empty: no time limit."),
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=0, help_text=_("0: unlimited.")
    )
    grading_method = models.CharField(
        _("grading method"),
        max_length=10,
        choices=GradingMethod.choices,
        default=GradingMethod.HIGHEST,
    )
    pass_mark_percent = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("70"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=False)
    shuffle_answers = models.BooleanField(_("shuffle answers"), default=True)
    review_answers = models.CharField(
        _("review: own answers"),
        max_length=12,
        choices=ReviewWhen.choices,
        default=ReviewWhen.AFTER_SUBMIT,
    )
    review_correctness = models.CharField(
        _("review: right or wrong"),
        max_length=12,
        choices=ReviewWhen.choices,
        default=ReviewWhen.AFTER_SUBMIT,
    )
    review_correct_answers = models.CharField(
        _("review: correct answers"),
        max_length=12,
        choices=ReviewWhen.choices,
        default=ReviewWhen.AFTER_CLOSE,
    )
    review_feedback = models.CharField(
        _("review: feedback"),
        max_length=12,
        choices=ReviewWhen.choices,
        default=ReviewWhen.AFTER_SUBMIT,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        ordering = ["course_id", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="courses_quiz_closes_after_opening",
            )
        ]

    def __str__(self):
        return self.title

    def rules(self) -> dict:
        """The settings an attempt copies when it starts (JSON)."""
        return {
            "title": self.title,
            "time_limit_minutes": self.time_limit_minutes,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "attempts_allowed": self.attempts_allowed,
            "grading_method": self.grading_method,
            "pass_mark_percent": str(self.pass_mark_percent),
            "review": {
                "answers": self.review_answers,
                "correctness": self.review_correctness,
                "correct_answers": self.review_correct_answers,
                "feedback": self.review_feedback,
            },
        }


class QuizSlot(Orderable):
    """One place in a quiz: a fixed question, or ``draw_count`` random questions of a
    category (drawn anew for each attempt, then fixed for that attempt)."""

    quiz = ParentalKey(Quiz, on_delete=models.CASCADE, related_name="slots")
    question = models.ForeignKey(
        Question,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("question"),
    )
    category = models.ForeignKey(
        QuestionCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("random from category"),
    )
    draw_count = models.PositiveSmallIntegerField(
        _("number of random questions"), default=1, validators=[MinValueValidator(1)]
    )

    class Meta(Orderable.Meta):
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")
        constraints = [
            models.CheckConstraint(
                condition=(Q(question__isnull=False) & Q(category__isnull=True))
                | (Q(question__isnull=True) & Q(category__isnull=False)),
                name="courses_quizslot_question_or_category",
            )
        ]

    def __str__(self):
        if self.question_id:
            return str(self.question)
        return f"{self.draw_count} x {self.category}"
