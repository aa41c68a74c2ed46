"""Wagtail admin for the quiz engine: the question bank ("Bank soal": categories and
questions), quizzes ("Kuis"), GIFT/Aiken import, GIFT export and the quiz chooser that
lessons use.

Who may do what is answered by courses.quiz_permissions (the course page's edit rights),
through one Wagtail permission policy per model and querysets that every view loads rows
from: another city's question is refused, never shown in a form. Writes go through
courses.quiz_services (question_save, questions_import, ...), so the admin applies the
same validation (courses.grading) as the importer; a refused save becomes form errors and
nothing is stored.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, ProtectedError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log
from wagtail.permissions import register_permission_policy

from courses.quiz_models import (
    Question,
    QuestionCategory,
    QuestionType,
    Quiz,
)
from courses.quiz_permissions import (
    can_manage_course,
    categories_for,
    category_policy,
    courses_manageable_by,
    manages_any_course,
    question_policy,
    quiz_policy,
    quizzes_for,
)

register_permission_policy(Question, question_policy)
register_permission_policy(QuestionCategory, category_policy)
register_permission_policy(Quiz, quiz_policy)

# Import files are plain text; a bank of a few thousand questions is far below this.
MAX_IMPORT_BYTES = 1024 * 1024
IMPORT_FORMATS = [("gift", "GIFT"), ("aiken", "Aiken")]
MAX_PREVIEW_ROWS = 500


def _services():
    # Imported on use: the services module belongs to the quiz engine's write side and
    # must not be loaded while Wagtail collects admin hooks.
    from courses import quiz_services

    return quiz_services


def add_service_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError as form errors: field errors on the fields the form
    shows, everything else at the top of the form."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, errors in exc.error_dict.items():
        target = field if field in form.fields and field != "__all__" else None
        for error in errors:
            for message in error.messages if hasattr(error, "messages") else [error]:
                form.add_error(target, message)


def _course_choice_field(field, user) -> None:
    field.queryset = courses_manageable_by(user).order_by("title", "pk")
    field.widget = forms.Select(choices=field.choices)
    field.error_messages["invalid_choice"] = _(
        "You may only choose a course you can edit. Choose one from the list."
    )


# --- forms --------------------------------------------------------------------------------


class QuestionCategoryForm(WagtailAdminModelForm):
    class Meta:
        model = QuestionCategory
        fields = ["course", "name", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _course_choice_field(self.fields["course"], self.for_user)


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.course.title} — {obj.name}"


class QuestionForm(WagtailAdminModelForm):
    """The question and its answer rows. A true/false question needs no rows: the
    trainer picks the right answer and the two rows "true"/"false" are made from it."""

    truefalse_answer = forms.ChoiceField(
        label=_("Correct answer"),
        required=False,
        choices=[("", "---------"), ("true", _("True")), ("false", _("False"))],
        help_text=_(
            "True/false questions only: is the statement true or false? The two answer "
            "rows are made for you; leave the answers below empty."
        ),
    )

    class Meta:
        model = Question
        fields = [
            "category",
            "kind",
            "name",
            "text",
            "points",
            "general_feedback",
            "partial_credit",
            "case_sensitive",
        ]
        field_classes = {"category": CategoryChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        category.queryset = (
            categories_for(self.for_user).select_related("course").order_by("course__title", "name")
        )
        category.widget = forms.Select(choices=category.choices)
        category.error_messages["invalid_choice"] = _(
            "You may only choose a category of a course you can edit. Choose one from the list."
        )
        if self.instance.pk and self.instance.kind == QuestionType.TRUE_FALSE:
            right = [
                answer.text
                for answer in self.instance.answers.all()
                if answer.fraction >= 100 and answer.text in ("true", "false")
            ]
            if right:
                self.fields["truefalse_answer"].initial = right[0]

    def clean(self):
        cleaned_data = super().clean()
        if (
            cleaned_data.get("kind") == QuestionType.TRUE_FALSE
            and not cleaned_data.get("truefalse_answer")
            and not self._posted_rows()
        ):
            self.add_error("truefalse_answer", _("Choose whether the statement is true or false."))
        return cleaned_data

    def _posted_rows(self) -> list[dict]:
        formset = self.formsets.get("answers")
        if formset is None or not formset.is_valid():
            return []
        rows = []
        for index, form in enumerate(formset.forms):
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            rows.append(
                (
                    data.get("ORDER") if data.get("ORDER") is not None else index,
                    index,
                    {
                        "text": data.get("text", ""),
                        "fraction": data.get("fraction"),
                        "feedback": data.get("feedback", ""),
                        "match_text": data.get("match_text", ""),
                        "tolerance": data.get("tolerance"),
                    },
                )
            )
        return [row for _order, _index, row in sorted(rows, key=lambda r: (r[0], r[1]))]

    def answer_rows(self) -> list[dict]:
        """The answers for quiz_services.question_save, in the order the trainer set."""
        rows = self._posted_rows()
        if self.cleaned_data.get("kind") == QuestionType.TRUE_FALSE:
            right = self.cleaned_data.get("truefalse_answer")
            if right:
                feedback = {row["text"]: row["feedback"] for row in rows}
                rows = [
                    {
                        "text": value,
                        "fraction": 100 if value == right else 0,
                        "feedback": feedback.get(value, ""),
                        "match_text": "",
                        "tolerance": None,
                    }
                    for value in ("true", "false")
                ]
        return rows


class QuizForm(WagtailAdminModelForm):
    """A quiz of one course; its slots may only use that course's questions and
    categories (checked in clean(), and the lists offer nothing else when editing)."""

    class Meta:
        model = Quiz
        fields = [
            "course",
            "title",
            "intro",
            "time_limit_minutes",
            "opens_at",
            "closes_at",
            "attempts_allowed",
            "grading_method",
            "pass_mark_percent",
            "shuffle_questions",
            "shuffle_answers",
            "review_answers",
            "review_correctness",
            "review_correct_answers",
            "review_feedback",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _course_choice_field(self.fields["course"], self.for_user)
        if self.instance.pk:
            course_filter = {"course_id": self.instance.course_id}
        else:
            course_filter = {"course__in": courses_manageable_by(self.for_user).values("pk")}
        categories = QuestionCategory.objects.filter(**course_filter).select_related("course")
        questions = Question.objects.filter(
            **{f"category__{k}": v for k, v in course_filter.items()}
        ).select_related("category__course")
        formset = self.formsets.get("slots")
        if formset is not None:
            base = formset.form

            class SlotForm(base):
                def __init__(self, *a, **kw):
                    super().__init__(*a, **kw)
                    self.fields["question"].queryset = questions.order_by("name", "pk")
                    self.fields["question"].label_from_instance = lambda q: (
                        f"{q.name} ({q.category.course.title} — {q.category.name})"
                    )
                    self.fields["category"].queryset = categories.order_by("course__title", "name")
                    self.fields["category"].label_from_instance = lambda c: (
                        f"{c.course.title} — {c.name}"
                    )

                def clean(self):
                    cleaned = super().clean()
                    if self.cleaned_data.get("DELETE"):
                        return cleaned
                    if bool(cleaned.get("question")) == bool(cleaned.get("category")):
                        raise ValidationError(
                            _(
                                "Choose either a fixed question or a category to draw random "
                                "questions from, not both."
                            )
                        )
                    return cleaned

            # Set before the formset builds its forms (they are built on first use).
            formset.form = SlotForm

    def clean(self):
        cleaned_data = super().clean()
        course = cleaned_data.get("course")
        formset = self.formsets.get("slots")
        if course is None or formset is None or not formset.is_valid():
            return cleaned_data
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            question, category = data.get("question"), data.get("category")
            if question is not None and question.category.course_id != course.pk:
                form.add_error(
                    "question", _("This question belongs to another course's question bank.")
                )
            if category is not None and category.course_id != course.pk:
                form.add_error(
                    "category", _("This category belongs to another course's question bank.")
                )
        return cleaned_data


# --- views --------------------------------------------------------------------------------


class ScopedObjectMixin:
    """Rows come from the user's scope: another city's row is a 404."""

    def scoped(self):
        return self.permission_policy.instances_user_has_any_permission_for(
            self.request.user, ["change"]
        )

    def get_queryset(self):
        return self.scoped()

    def get_base_object_queryset(self):
        return self.scoped()


class ServiceSaveMixin:
    """Save through a service; a refused save shows the reasons on the form and stores
    nothing (the whole save is one transaction)."""

    def save_through_service(self):
        raise NotImplementedError

    def form_valid(self, form):
        self.form = form
        created = self.object is None or getattr(self.object, "pk", None) is None
        try:
            with transaction.atomic():
                self.object = self.save_through_service()
                log(
                    instance=self.object,
                    action="wagtail.create" if created else "wagtail.edit",
                    user=self.request.user,
                )
        except ValidationError as exc:
            if created:
                # Rolled back: forget any primary key the save handed out.
                form.instance.pk = None
            add_service_errors(form, exc)
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)
        response = self.save_action()
        hook_response = self.run_after_hook()
        return hook_response if hook_response is not None else response


class ProtectedDeleteMixin(ScopedObjectMixin):
    """Deleting something still used (a question in a quiz, a category with questions)
    is refused with a message saying what to do, never a server error."""

    protected_message = ""

    def protected_by(self) -> list[str]:
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["protected_by"] = self.protected_by()
        context["protected_message"] = self.protected_message
        return context

    def form_valid(self, form):
        success_url = self.get_success_url()
        try:
            with transaction.atomic():
                self.delete_action()
        except ProtectedError:
            messages.error(self.request, self.protected_message)
            return redirect(self.edit_url_name, self.object.pk)
        messages.success(self.request, self.get_success_message())
        return redirect(success_url)


class ScopedIndexView(IndexView):
    select_related_fields: tuple[str, ...] = ()

    def get_base_queryset(self):
        queryset = self.permission_policy.instances_user_has_any_permission_for(
            self.request.user, ["change"]
        )
        if self.select_related_fields:
            queryset = queryset.select_related(*self.select_related_fields)
        return queryset


class ScopedHistoryView(ScopedObjectMixin, HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, UsageView):
    pass


class ScopedEditView(ScopedObjectMixin, EditView):
    pass


# Categories


class CategoryIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("course")
            .annotate(question_count=Count("questions"))
        )


class CategoryCreateView(ServiceSaveMixin, CreateView):
    def save_through_service(self):
        data = self.form.cleaned_data
        if not can_manage_course(self.request.user, data["course"]):
            raise PermissionDenied
        return _services().category_create(
            course=data["course"], name=data["name"], description=data.get("description", "")
        )


class CategoryEditView(ScopedEditView):
    def form_valid(self, form):
        if not can_manage_course(self.request.user, form.cleaned_data["course"]):
            raise PermissionDenied
        return super().form_valid(form)


class CategoryDeleteView(ProtectedDeleteMixin, DeleteView):
    template_name = "courses/quiz_admin/confirm_delete.html"

    @cached_property
    def protected_message(self):
        return gettext(
            "This category still holds questions or is drawn from by a quiz. Move or "
            "delete its questions and remove it from the quizzes first."
        )

    def protected_by(self):
        quizzes = Quiz.objects.filter(slots__category=self.object).distinct()
        names = [quiz.title for quiz in quizzes]
        count = self.object.questions.count()
        if count:
            names.insert(
                0,
                ngettext(
                    "%(count)s question in this category",
                    "%(count)s questions in this category",
                    count,
                )
                % {"count": count},
            )
        return names


# Questions


class QuestionFilterSet(WagtailFilterSet):
    course = django_filters.ModelChoiceFilter(
        label=_("course"),
        field_name="category__course",
        queryset=lambda request: courses_manageable_by(request.user).order_by("title"),
    )
    category = django_filters.ModelChoiceFilter(
        label=_("category"),
        queryset=lambda request: (
            categories_for(request.user).select_related("course").order_by("course__title", "name")
        ),
    )
    kind = django_filters.ChoiceFilter(label=_("type"), choices=QuestionType.choices)

    class Meta:
        model = Question
        fields = ["course", "category", "kind"]


class QuestionSaveMixin(ServiceSaveMixin):
    def save_through_service(self):
        form = self.form
        category = form.cleaned_data["category"]
        if not can_manage_course(self.request.user, category.course):
            raise PermissionDenied
        question = form.instance
        if question.pk is None:
            question.created_by = self.request.user
        return _services().question_save(
            question=question, answers=form.answer_rows(), by=self.request.user
        )


class QuestionCreateView(QuestionSaveMixin, CreateView):
    pass


class QuestionEditView(QuestionSaveMixin, ScopedEditView):
    pass


class QuestionDeleteView(ProtectedDeleteMixin, DeleteView):
    template_name = "courses/quiz_admin/confirm_delete.html"

    @cached_property
    def protected_message(self):
        return gettext(
            "This question is used in a quiz, so it cannot be deleted. Remove it from the "
            "quizzes listed first, or keep it."
        )

    def protected_by(self):
        return list(
            Quiz.objects.filter(slots__question=self.object)
            .distinct()
            .values_list("title", flat=True)
        )


# Quizzes


class QuizSaveMixin(ServiceSaveMixin):
    def save_through_service(self):
        form = self.form
        if not can_manage_course(self.request.user, form.cleaned_data["course"]):
            raise PermissionDenied
        # The slots are set in memory first: the checks that need the stored bank
        # (enough questions in a category to draw, ...) run before anything is written.
        quiz = form.save(commit=False)
        problems = _services().quiz_slots_check(quiz)
        if problems:
            raise ValidationError(list(problems))
        quiz.save()
        return quiz


class QuizIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return (
            super().get_base_queryset().select_related("course").annotate(slot_count=Count("slots"))
        )


class QuizCreateView(QuizSaveMixin, CreateView):
    pass


class QuizEditView(QuizSaveMixin, ScopedEditView):
    pass


class QuizDeleteView(ProtectedDeleteMixin, DeleteView):
    @cached_property
    def protected_message(self):
        return gettext("This quiz cannot be deleted now. Try again later.")


# --- viewsets -----------------------------------------------------------------------------


class ScopedViewSetMixin:
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    copy_view_enabled = False
    inspect_view_enabled = False
    search_backend_name = None


def _answer_panels():
    return [
        FieldRowPanel([FieldPanel("text"), FieldPanel("fraction")]),
        FieldRowPanel([FieldPanel("match_text"), FieldPanel("tolerance")]),
        FieldPanel("feedback"),
    ]


class QuestionCategoryViewSet(ScopedViewSetMixin, ModelViewSet):
    model = QuestionCategory
    name = "question_categories"
    icon = "folder-open-inverse"
    menu_label = _("Categories")
    index_view_class = CategoryIndexView
    add_view_class = CategoryCreateView
    edit_view_class = CategoryEditView
    delete_view_class = CategoryDeleteView
    list_display = [
        "name",
        Column("course", label=_("course"), accessor="course.title"),
        Column("question_count", label=_("questions")),
    ]
    list_filter = []
    search_fields = ["name", "description"]
    ordering = ["course__title", "name"]
    edit_handler = ObjectList(
        [
            FieldPanel("course", widget=forms.Select),
            FieldPanel("name"),
            FieldPanel("description"),
        ],
        base_form_class=QuestionCategoryForm,
    )


class QuestionViewSet(ScopedViewSetMixin, ModelViewSet):
    model = Question
    name = "questions"
    icon = "help"
    menu_label = _("Questions")
    index_view_class = type(
        "QuestionIndexView", (ScopedIndexView,), {"select_related_fields": ("category__course",)}
    )
    add_view_class = QuestionCreateView
    edit_view_class = QuestionEditView
    delete_view_class = QuestionDeleteView
    list_display = [
        "name",
        "kind",
        Column("category", label=_("category"), accessor="category.name"),
        Column("course", label=_("course"), accessor="category.course.title"),
        Column("version", label=_("version")),
    ]
    filterset_class = QuestionFilterSet
    search_fields = ["name", "text"]
    ordering = ["name"]
    list_per_page = 50
    edit_handler = ObjectList(
        [
            FieldPanel("category", widget=forms.Select),
            FieldRowPanel([FieldPanel("kind"), FieldPanel("points")]),
            FieldPanel("name"),
            FieldPanel("text"),
            FieldPanel("truefalse_answer"),
            FieldRowPanel([FieldPanel("partial_credit"), FieldPanel("case_sensitive")]),
            FieldPanel("general_feedback"),
            HelpPanel(
                template="courses/quiz_admin/answer_help.html",
                heading=_("What the answer fields mean"),
            ),
            InlinePanel("answers", label=_("Answers"), panels=_answer_panels()),
        ],
        base_form_class=QuestionForm,
    )


class QuizViewSet(ScopedViewSetMixin, ModelViewSet):
    model = Quiz
    name = "quizzes"
    icon = "tasks"
    menu_label = _("Quizzes")
    menu_order = 310
    add_to_admin_menu = True
    index_view_class = QuizIndexView
    add_view_class = QuizCreateView
    edit_view_class = QuizEditView
    delete_view_class = QuizDeleteView
    list_display = [
        "title",
        Column("course", label=_("course"), accessor="course.title"),
        Column("slot_count", label=_("places")),
        Column("time_limit_minutes", label=_("time limit (minutes)")),
        Column("attempts_allowed", label=_("attempts allowed")),
    ]
    search_fields = ["title", "intro"]
    ordering = ["course__title", "title"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("course", widget=forms.Select),
                    FieldPanel("title"),
                    FieldPanel("intro"),
                ],
                heading=_("Quiz"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                    FieldRowPanel(
                        [FieldPanel("time_limit_minutes"), FieldPanel("attempts_allowed")]
                    ),
                    FieldRowPanel([FieldPanel("grading_method"), FieldPanel("pass_mark_percent")]),
                    FieldRowPanel([FieldPanel("shuffle_questions"), FieldPanel("shuffle_answers")]),
                ],
                heading=_("Timing, attempts and grading"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("review_answers"), FieldPanel("review_correctness")]),
                    FieldRowPanel(
                        [FieldPanel("review_correct_answers"), FieldPanel("review_feedback")]
                    ),
                ],
                heading=_("What learners see after an attempt"),
                help_text=_(
                    "For each part of the review, choose when learners may see it: never, "
                    "right after submitting, or only after the quiz closes."
                ),
            ),
            InlinePanel(
                "slots",
                label=_("Questions of the quiz"),
                help_text=_(
                    "Each row is a fixed question, or a number of questions drawn at random "
                    "from a category for each attempt. Save the quiz once to offer only the "
                    "questions of its course."
                ),
                panels=[
                    FieldPanel("question"),
                    FieldRowPanel([FieldPanel("category"), FieldPanel("draw_count")]),
                ],
            ),
        ],
        base_form_class=QuizForm,
    )


# --- import and export --------------------------------------------------------------------


class QuestionImportForm(forms.Form):
    course = forms.ModelChoiceField(label=_("course"), queryset=Question.objects.none())
    fmt = forms.ChoiceField(label=_("format"), choices=IMPORT_FORMATS, initial="gift")
    category_name = forms.CharField(
        label=_("category"),
        max_length=255,
        help_text=_("A category of the course; it is created if it does not exist yet."),
    )
    file = forms.FileField(
        label=_("file"),
        required=False,
        help_text=_("A .txt or .gift file in UTF-8, at most 1 MB. Or paste the text below."),
    )
    text = forms.CharField(
        label=_("or paste the questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    dry_run = forms.BooleanField(
        label=_("Check only: show what would be imported without saving"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category_name"].initial = gettext("Imported")
        _course_choice_field(self.fields["course"], user)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(
                _("The file is larger than 1 MB. Split it into smaller files and import each.")
            )
        name = (upload.name or "").lower()
        if not name.endswith((".txt", ".gift")):
            raise ValidationError(_("Upload a .txt or .gift text file."))
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                _(
                    "The file is not UTF-8 text. Open it in a text editor, save it with the "
                    "UTF-8 encoding and upload it again."
                )
            ) from None

    def clean(self):
        cleaned_data = super().clean()
        if self.errors.get("file"):
            return cleaned_data
        text = cleaned_data.get("file") or cleaned_data.get("text") or ""
        if len(text.encode("utf-8")) > MAX_IMPORT_BYTES:
            self.add_error(
                "text",
                _("The text is larger than 1 MB. Split it and import each part on its own."),
            )
        elif not text.strip():
            raise ValidationError(_("Upload a file or paste the questions to import."))
        cleaned_data["source"] = text
        return cleaned_data


class QuestionImportView(WagtailAdminTemplateMixin, FormView):
    form_class = QuestionImportForm
    template_name = "courses/quiz_admin/import_form.html"
    page_title = _("Import questions")
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        if not manages_any_course(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["action_url"] = reverse("quiz_bank_io:import")
        context["export_url"] = reverse("quiz_bank_io:export")
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        course = data["course"]
        if not can_manage_course(self.request.user, course):
            raise PermissionDenied
        from courses.question_formats import FormatError

        errors, result = [], None
        try:
            result = _services().questions_import(
                course=course,
                text=data["source"],
                fmt=data["fmt"],
                category_name=data["category_name"],
                by=self.request.user,
                dry_run=data["dry_run"],
            )
        except FormatError as exc:
            errors = list(exc.errors)
        except ValidationError as exc:
            errors = [(None, message) for message in exc.messages]
        imported = list(result.questions) if result is not None else []
        context = self.get_context_data(
            form=form,
            done=True,
            errors=errors,
            preview=[_preview_row(item) for item in imported[:MAX_PREVIEW_ROWS]],
            count=len(imported),
            dry_run=data["dry_run"],
        )
        return TemplateResponse(self.request, self.template_name, context)


def _preview_row(item) -> dict:
    """One imported (or would-be imported) question for the preview, whatever the service
    hands back: parsed questions, saved Question rows or plain dicts."""

    def get(name, default=None):
        if isinstance(item, dict):
            return item.get(name, default)
        return getattr(item, name, default)

    kind = str(get("kind", ""))
    answers = get("answers") or []
    if hasattr(answers, "all"):
        answers = answers.all()
    return {
        "name": get("name", ""),
        "kind": QuestionType(kind).label if kind in QuestionType.values else kind,
        "text": get("text", ""),
        "answer_count": len(answers),
    }


class QuestionExportForm(forms.Form):
    course = forms.ModelChoiceField(label=_("course"), queryset=Question.objects.none())
    category = forms.ModelChoiceField(
        label=_("category"),
        queryset=QuestionCategory.objects.none(),
        required=False,
        empty_label=_("All categories"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _course_choice_field(self.fields["course"], user)
        self.fields["category"].queryset = (
            categories_for(user).select_related("course").order_by("course__title", "name")
        )
        self.fields["category"].label_from_instance = lambda c: f"{c.course.title} — {c.name}"

    def clean(self):
        cleaned_data = super().clean()
        course, category = cleaned_data.get("course"), cleaned_data.get("category")
        if course is not None and category is not None and category.course_id != course.pk:
            self.add_error("category", _("This category belongs to another course."))
        return cleaned_data


class QuestionExportView(WagtailAdminTemplateMixin, FormView):
    """GET with a course (and optionally a category) downloads the GIFT file; without,
    shows the form."""

    form_class = QuestionExportForm
    template_name = "courses/quiz_admin/export_form.html"
    page_title = _("Export questions")
    header_icon = "download"

    def dispatch(self, request, *args, **kwargs):
        if not manages_any_course(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user}
        if "course" in self.request.GET:
            kwargs["data"] = self.request.GET
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["action_url"] = reverse("quiz_bank_io:export")
        return context

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_bound:
            if form.is_valid():
                return self.form_valid(form)
            return self.form_invalid(form)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        return self.get(request, *args, **kwargs)

    def form_valid(self, form):
        course, category = form.cleaned_data["course"], form.cleaned_data.get("category")
        if not can_manage_course(self.request.user, course):
            raise PermissionDenied
        text = _services().questions_export(course=course, category=category)
        name = slugify(category.name if category else course.title) or "soal"
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="bank-soal-{name}.gift"'
        return response


class QuestionBankIOViewSet(ViewSet):
    """The import and export screens, as a viewset so they sit in the bank's menu."""

    name = "quiz_bank_io"
    icon = "upload"
    menu_label = _("Import / export")

    @cached_property
    def menu_item_class(self):
        from wagtail.admin.menu import MenuItem

        return type(
            "QuestionBankIOMenuItem",
            (MenuItem,),
            {"is_shown": lambda self, request: manages_any_course(request.user)},
        )

    def get_urlpatterns(self):
        return [
            path("import/", QuestionImportView.as_view(), name="import"),
            path("export/", QuestionExportView.as_view(), name="export"),
        ]


class QuestionBankGroup(ViewSetGroup):
    menu_label = _("Question bank")
    menu_icon = "help"
    menu_order = 311
    items = (QuestionViewSet, QuestionCategoryViewSet, QuestionBankIOViewSet)


# --- the quiz chooser (lessons) -----------------------------------------------------------


class _ChooserScope:
    def get_object_list(self):
        return (
            quizzes_for(self.request.user)
            .select_related("course")
            .order_by("course__title", "title")
        )

    @property
    def columns(self):
        return [
            self.title_column,
            Column("course", label=_("course"), accessor="course.title"),
        ]


class QuizSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Search")}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_searching = False
        self.is_filtering_by_collection = False
        self.search_query = None

    def filter(self, objects):
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            self.is_searching = True
            self.search_query = query
            objects = objects.filter(title__icontains=query)
        return objects


class QuizChooseView(_ChooserScope, chooser_views.ChooseView):
    filter_form_class = QuizSearchForm


class QuizChooseResultsView(_ChooserScope, chooser_views.ChooseResultsView):
    filter_form_class = QuizSearchForm


class QuizChosenView(chooser_views.ChosenView):
    def get_object(self, pk):
        return quizzes_for(self.request.user).get(pk=pk)

    def get_object_id(self, instance):
        # Lessons store the quiz's stable key, never its primary key.
        return instance.key


class QuizChooserViewSet(ChooserViewSet):
    model = Quiz
    name = "quiz_chooser"
    icon = "tasks"
    choose_one_text = _("Choose a quiz")
    choose_another_text = _("Choose another quiz")
    edit_item_text = _("Edit this quiz")
    choose_view_class = QuizChooseView
    choose_results_view_class = QuizChooseResultsView
    chosen_view_class = QuizChosenView
    # The lesson block has its own widget that stores the key (courses.blocks).
    register_widget = False


def admin_viewsets():
    """Everything the courses app registers for the quiz engine (see wagtail_hooks)."""
    return [QuizViewSet(), QuestionBankGroup(), QuizChooserViewSet()]
