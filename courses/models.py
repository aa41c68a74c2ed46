"""Course content as Wagtail pages, and the metadata that describes it.

The tree is CurriculumIndexPage -> NationalCataloguePage -> CoursePage -> LessonPage for
courses every city may adopt, and CurriculumIndexPage -> CityCurriculumPage -> CoursePage
-> LessonPage for a city's own courses. A city curriculum lists the courses it adopts
(national ones, or its own) as CurriculumEntry rows with its own order, mandatory flag and
due date, so a national course is shared by many cities without being copied.

Learning records (lms.records) refer to lessons and courses by ``translation_key``, which
stays the same across edits, revisions and publishing, never by a revision.
"""

import uuid
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from courses.activities import ActivityKind
from courses.blocks import BaseStreamBlock, h5p_choice_errors, quiz_choice_errors


class LearningForm(models.TextChoices):
    """The national list of competency-development forms (Perlan 10/2018)."""

    E_LEARNING = "e_learning", _("E-learning")
    WORKSHOP = "workshop", _("Workshop")
    SEMINAR = "seminar", _("Seminar")
    TECHNICAL_GUIDANCE = "bimbingan_teknis", _("Technical guidance (bimbingan teknis)")
    COURSE = "kursus", _("Course (kursus)")
    TRAINING = "penataran", _("Upgrading (penataran)")
    INTERNSHIP = "magang", _("Internship (magang)")
    COACHING = "coaching", _("Coaching")
    MENTORING = "mentoring", _("Mentoring")
    SELF_STUDY = "belajar_mandiri", _("Self-study (belajar mandiri)")
    LEARNING_COMMUNITY = "komunitas_belajar", _("Learning community (komunitas belajar)")
    BENCHMARKING = "patok_banding", _("Benchmarking (patok banding)")
    DETACHMENT = "detasering", _("Secondment (detasering)")

    @classmethod
    def classical(cls) -> set[str]:
        """Forms held in a classroom (klasikal); the rest are non-classical."""
        return {
            cls.WORKSHOP,
            cls.SEMINAR,
            cls.TECHNICAL_GUIDANCE,
            cls.COURSE,
            cls.TRAINING,
        }


class CompetencyArea(models.TextChoices):
    DIGITAL_LITERACY = "digital_literacy", _("Digital literacy")
    DATA_MANAGEMENT = "data_management", _("Data management")
    DIGITAL_COMMUNICATION = "digital_communication", _("Digital communication and social media")
    OFFICE_SOFTWARE = "office_software", _("Administrative software and e-office")
    E_GOVERNMENT = "e_government", _("E-government services")
    CYBER_SECURITY = "cyber_security", _("Cyber security")
    SOFT_SKILLS = "soft_skills", _("Soft skills: communication and teamwork")
    INNOVATION = "innovation", _("Innovation")


class CourseLevel(models.TextChoices):
    BASIC = "basic", _("Basic")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class CompletionRule(models.TextChoices):
    VIEWED = "viewed", _("Viewed")
    H5P_SCORE = "h5p_score", _("H5P score at least the threshold")
    QUIZ_PASSED = "quiz_passed", _("Quiz passed")


class Provider(models.Model):
    """An institution that teaches or co-authors courses (a snippet, chosen on courses)."""

    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("University or polytechnic")
        TECH_COMPANY = "tech_company", _("Technology company")
        GOVERNMENT = "government", _("Government agency")
        OTHER = "other", _("Other institution")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    website = models.URLField(_("website"), blank=True)

    panels = [FieldPanel("name"), FieldPanel("kind"), FieldPanel("website")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")

    def __str__(self):
        return self.name


class CurriculumIndexPage(RoutablePageMixin, Page):
    """The site's home: introduces the platform, links to the curricula, searches courses."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.NationalCataloguePage", "courses.CityCurriculumPage"]
    max_count = 1

    class Meta:
        verbose_name = _("curriculum index")

    def get_context(self, request, *args, **kwargs):
        from courses import selectors

        context = super().get_context(request, *args, **kwargs)
        context["curricula"] = selectors.city_curricula_for_user(request.user)
        context["catalogue"] = selectors.national_catalogue()
        context["search_url"] = self.url + self.reverse_subpage("course_search")
        return context

    @path("cari/", name="course_search")
    def course_search(self, request):
        from courses import selectors

        query = request.GET.get("q", "").strip()[:200]
        context = self.get_context(request)
        context["query"] = query
        context["results"] = selectors.course_search(user=request.user, query=query)
        return self.render(
            request,
            context_overrides=context,
            template="courses/course_search.html",
        )


class NationalCataloguePage(Page):
    """National courses any city can adopt into its curriculum; kept by national admins."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["courses.CurriculumIndexPage"]
    subpage_types = ["courses.CoursePage"]
    max_count = 1

    class Meta:
        verbose_name = _("national catalogue")

    def get_context(self, request, *args, **kwargs):
        from courses import selectors

        context = super().get_context(request, *args, **kwargs)
        context["courses"] = selectors.catalogue_courses(self)
        return context


class CityCurriculumPageForm(WagtailAdminPageForm):
    def clean(self):
        cleaned_data = super().clean()
        page = self.instance
        formset = self.formsets.get("course_entries")
        # ClusterForm validates formsets after the page form; validate them now to see
        # the chosen courses (the result is cached, so nothing runs twice).
        if formset is None or not formset.is_valid():
            return cleaned_data
        from courses.selectors import national_catalogue

        catalogue = national_catalogue()
        seen = set()
        for form in formset.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            course = form.cleaned_data.get("course")
            if course is None:
                continue
            if course.pk in seen:
                form.add_error("course", _("This course is already in the curriculum."))
            seen.add(course.pk)
            if not course_is_adoptable_by(course=course, curriculum=page, catalogue=catalogue):
                form.add_error(
                    "course",
                    _("Only national courses and this city's own courses can be added."),
                )
        return cleaned_data


class CityCurriculumPage(Page):
    """The curriculum a city's BKPSDM publishes for its civil servants.

    Its own courses are its children; the courses it lists (national or its own, in its
    order, with mandatory flags and due dates) are its course entries. Own courses that
    are not listed still appear, as optional, so a newly published course is never lost.
    """

    city = models.OneToOneField(
        "people.City",
        on_delete=models.PROTECT,
        related_name="curriculum_page",
        verbose_name=_("city"),
    )
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("city", permission="courses.change_city_of_curriculum"),
        FieldPanel("intro"),
        InlinePanel(
            "course_entries",
            label=_("Courses in this curriculum"),
            help_text=_(
                "National courses and this city's own courses, in the order learners see them."
            ),
        ),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["courses.CurriculumIndexPage"]
    subpage_types = ["courses.CoursePage"]
    base_form_class = CityCurriculumPageForm

    class Meta:
        verbose_name = _("city curriculum")
        verbose_name_plural = _("city curricula")
        permissions = [
            ("change_city_of_curriculum", _("Can change which city a curriculum belongs to")),
        ]

    def get_context(self, request, *args, **kwargs):
        from courses import selectors

        context = super().get_context(request, *args, **kwargs)
        items = selectors.curriculum_courses(self)
        context["mandatory_courses"] = [item for item in items if item.is_mandatory]
        context["optional_courses"] = [item for item in items if not item.is_mandatory]
        return context


def course_is_adoptable_by(*, course, curriculum, catalogue) -> bool:
    """A curriculum may list national courses and courses below itself, never another city's."""
    if curriculum.path and course.path.startswith(curriculum.path):
        return True
    return catalogue is not None and course.path.startswith(catalogue.path)


class CurriculumEntry(Orderable):
    """One course a city curriculum lists, with the city's own flag and due date."""

    page = ParentalKey(
        CityCurriculumPage,
        on_delete=models.CASCADE,
        related_name="course_entries",
        verbose_name=_("curriculum"),
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.CASCADE,
        related_name="curriculum_entries",
        verbose_name=_("course"),
    )
    is_mandatory = models.BooleanField(
        _("mandatory"),
        default=False,
        help_text=_("Mandatory courses are listed first and count towards the city's targets."),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)

    panels = [
        FieldPanel("course"),
        FieldRowPanel([FieldPanel("is_mandatory"), FieldPanel("due_date")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("curriculum course")
        verbose_name_plural = _("curriculum courses")
        constraints = [
            models.UniqueConstraint(
                fields=["page", "course"],
                name="courses_entry_course_once_per_curriculum",
                violation_error_message=_("This course is already in the curriculum."),
            ),
        ]

    def __str__(self):
        return str(self.course)


class CoursePage(Page):
    """A course: its metadata (JP, learning form, competency, provider) and its lessons."""

    summary = models.TextField(
        _("summary"),
        max_length=500,
        help_text=_("One or two sentences shown in course lists and search results."),
    )
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cover image"),
    )
    jp_value = models.PositiveSmallIntegerField(
        _("JP"),
        validators=[MinValueValidator(1), MaxValueValidator(80)],
        help_text=_("Jam pelajaran (45 minutes each) credited when the course is completed."),
    )
    learning_form = models.CharField(
        _("learning form"),
        max_length=30,
        choices=LearningForm.choices,
        default=LearningForm.E_LEARNING,
    )
    competency_area = models.CharField(
        _("competency area"), max_length=30, choices=CompetencyArea.choices
    )
    level = models.CharField(
        _("level"), max_length=20, choices=CourseLevel.choices, default=CourseLevel.BASIC
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="courses",
        verbose_name=_("provider"),
        help_text=_("The university, company or agency that teaches or co-authors the course."),
    )
    partner = models.ForeignKey(
        "events.Partner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="courses",
        verbose_name=_("partner"),
        help_text=_("The university, company or agency that runs the course with the city."),
    )
    estimated_duration = models.PositiveIntegerField(
        _("estimated duration (seconds)"),
        validators=[MinValueValidator(60), MaxValueValidator(200 * 3600)],
        help_text=_("Expected study time in seconds, e.g. 5400 for one and a half hours."),
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("jp_value"), FieldPanel("estimated_duration")]),
                FieldRowPanel([FieldPanel("learning_form"), FieldPanel("level")]),
                FieldPanel("competency_area"),
                # A plain select: trainers need no snippet permissions to pick a provider.
                FieldPanel("provider", widget=forms.Select),
                FieldPanel("partner", widget=forms.Select),
            ],
            heading=_("Course details"),
        ),
        InlinePanel("prerequisites", label=_("Prerequisites")),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.FilterField("competency_area"),
        index.FilterField("level"),
        index.FilterField("learning_form"),
        index.RelatedFields("provider", [index.SearchField("name")]),
    ]
    parent_page_types = ["courses.NationalCataloguePage", "courses.CityCurriculumPage"]
    subpage_types = ["courses.LessonPage"]

    class Meta:
        verbose_name = _("course")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(jp_value__gte=1),
                name="courses_course_jp_positive",
                violation_error_message=_("A course is worth at least 1 JP."),
            ),
        ]

    @property
    def record_key(self) -> uuid.UUID:
        return self.translation_key

    @property
    def estimated_hours(self) -> float:
        return round(self.estimated_duration / 3600, 1)

    def get_context(self, request, *args, **kwargs):
        from courses import selectors

        context = super().get_context(request, *args, **kwargs)
        context["outline"] = selectors.course_outline_for_user(course=self, user=request.user)
        context["enrolment"] = selectors.course_enrolment_for_user(course=self, user=request.user)
        context["is_learner"] = selectors.user_city_id(request.user) is not None
        context["prerequisites"] = selectors.course_prerequisites(self)
        return context


class CoursePrerequisite(Orderable):
    """A course a learner should complete before this one."""

    course = ParentalKey(
        CoursePage,
        on_delete=models.CASCADE,
        related_name="prerequisites",
        verbose_name=_("course"),
    )
    prerequisite = models.ForeignKey(
        CoursePage,
        on_delete=models.CASCADE,
        related_name="required_by",
        verbose_name=_("prerequisite"),
    )

    panels = [FieldPanel("prerequisite")]

    class Meta(Orderable.Meta):
        verbose_name = _("prerequisite")
        verbose_name_plural = _("prerequisites")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "prerequisite"],
                name="courses_prerequisite_once",
                violation_error_message=_("This prerequisite is already listed."),
            ),
            models.CheckConstraint(
                condition=~models.Q(course=models.F("prerequisite")),
                name="courses_prerequisite_not_self",
                violation_error_message=_("A course cannot be its own prerequisite."),
            ),
        ]

    def clean(self):
        super().clean()
        if self.course_id and self.prerequisite_id == self.course_id:
            raise ValidationError({"prerequisite": _("A course cannot be its own prerequisite.")})


@dataclass(frozen=True)
class CompletionCriteria:
    """What lms.records evaluates to decide that a learner completed a lesson.

    - ``viewed``: the learner opened the lesson.
    - ``h5p_score``: every H5P activity in ``activity_keys`` scored >= ``threshold`` percent.
    - ``quiz_passed``: every quiz in ``activity_keys`` was passed (by the quiz's own rule).
    A course is complete when every lesson with ``is_required`` is complete.
    """

    lesson_key: uuid.UUID
    course_key: uuid.UUID | None
    rule: str
    threshold: int | None
    is_required: bool
    activity_keys: tuple[str, ...]


class LessonPageForm(WagtailAdminPageForm):
    def clean(self):
        cleaned_data = super().clean()
        body = cleaned_data.get("body")
        if body is not None and self.for_user is not None:
            # Only the form knows who is editing: refuse packages they may not choose.
            kept = self.instance.activity_keys(ActivityKind.H5P) if self.instance.pk else ()
            error = h5p_choice_errors(body, user=self.for_user, kept_keys=kept)
            if error is not None:
                self.add_error("body", error)
            # A quiz must be one of the lesson's own course (quizadmin).
            kept = self.instance.activity_keys(ActivityKind.QUIZ) if self.instance.pk else ()
            course = self.parent_page or (self.instance.get_parent() if self.instance.pk else None)
            error = quiz_choice_errors(body, user=self.for_user, course=course, kept_keys=kept)
            if error is not None:
                self.add_error("body", error)
        return cleaned_data


class LessonPage(Page):
    """One lesson of a course: a stream of blocks and the rule that completes it."""

    body = StreamField(BaseStreamBlock(), verbose_name=_("content"))
    completion_rule = models.CharField(
        _("completion rule"),
        max_length=20,
        choices=CompletionRule.choices,
        default=CompletionRule.VIEWED,
        help_text=_("What a learner must do for this lesson to count as complete."),
    )
    completion_threshold = models.PositiveSmallIntegerField(
        _("minimum score (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "Only for the H5P score rule: the lowest score (1-100 percent) that completes."
        ),
    )
    is_required = models.BooleanField(
        _("required for course completion"),
        default=True,
        help_text=_("The course is complete when every required lesson is complete."),
    )

    content_panels = Page.content_panels + [
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("completion_rule"),
                FieldPanel("completion_threshold"),
                FieldPanel("is_required"),
            ],
            heading=_("Completion"),
        ),
    ]
    search_fields = Page.search_fields + [index.SearchField("body")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = []
    base_form_class = LessonPageForm

    class Meta:
        verbose_name = _("lesson")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        completion_rule=CompletionRule.H5P_SCORE,
                        completion_threshold__gte=1,
                        completion_threshold__lte=100,
                    )
                    | (
                        ~models.Q(completion_rule=CompletionRule.H5P_SCORE)
                        & models.Q(completion_threshold__isnull=True)
                    )
                ),
                name="courses_lesson_threshold_matches_rule",
                violation_error_message=_(
                    "A minimum score (1-100) goes with the H5P score rule, and only with it."
                ),
            ),
        ]

    @property
    def record_key(self) -> uuid.UUID:
        return self.translation_key

    def activity_keys(self, kind: str) -> tuple[str, ...]:
        """Keys of the activities of one kind in the body, read without touching the DB."""
        keys = []
        for item in self.body.raw_data:
            if item.get("type") == kind:
                key = (item.get("value") or {}).get("key")
                if key:
                    keys.append(key)
        return tuple(keys)

    def clean(self):
        super().clean()
        self.clean_content()

    def clean_content(self):
        """The rules that need no page tree, so services can check them before inserting."""
        rule = self.completion_rule
        threshold = self.completion_threshold
        if rule == CompletionRule.H5P_SCORE:
            if threshold is None:
                raise ValidationError(
                    {"completion_threshold": _("Set the minimum H5P score, from 1 to 100.")}
                )
            if not self.activity_keys(ActivityKind.H5P):
                raise ValidationError(
                    {"completion_rule": _("Add an H5P activity to the lesson to use this rule.")}
                )
        elif threshold is not None:
            raise ValidationError(
                {"completion_threshold": _("A minimum score only applies to the H5P score rule.")}
            )
        if rule == CompletionRule.QUIZ_PASSED and not self.activity_keys(ActivityKind.QUIZ):
            raise ValidationError(
                {"completion_rule": _("Add a quiz to the lesson to use this rule.")}
            )

    def completion_criteria(self, *, course_key: uuid.UUID | None = None) -> CompletionCriteria:
        kind = {
            CompletionRule.H5P_SCORE: ActivityKind.H5P,
            CompletionRule.QUIZ_PASSED: ActivityKind.QUIZ,
        }.get(self.completion_rule)
        return CompletionCriteria(
            lesson_key=self.translation_key,
            course_key=course_key,
            rule=self.completion_rule,
            threshold=self.completion_threshold,
            is_required=self.is_required,
            activity_keys=self.activity_keys(kind) if kind else (),
        )

    def get_context(self, request, *args, **kwargs):
        from courses import selectors

        context = super().get_context(request, *args, **kwargs)
        course_and_rest = selectors.lesson_context_for_user(lesson=self, user=request.user)
        # A lesson is reached through its course: while the course is unpublished its
        # lessons are not served on their own (previews still work for authors).
        if not course_and_rest["course"].live and not getattr(request, "is_preview", False):
            raise Http404
        context.update(course_and_rest)
        return context


# The question bank and quizzes live in their own module; imported here so that Django
# finds them as models of this app.
from courses.quiz_models import (  # noqa: E402, F401
    GradingMethod,
    Question,
    QuestionAnswer,
    QuestionCategory,
    QuestionType,
    Quiz,
    QuizSlot,
    ReviewWhen,
)
