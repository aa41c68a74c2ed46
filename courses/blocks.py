"""The one StreamField vocabulary for lessons (BaseStreamBlock) and its blocks."""

import uuid
from pathlib import PurePosixPath

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.widgets.chooser import BaseChooser
from wagtail.blocks.stream_block import StreamBlockValidationError
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.coreutils import resolve_model_string
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock
from wagtail.snippets.widgets import AdminSnippetChooser

from courses.activities import (
    ActivityKind,
    has_catalogue,
    normalise_activity_key,
    resolve_activities,
    validate_activity_key,
)

# Lessons are read on phones: no headings above h2 (the page title is h1), no tables.
RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]
VIDEO_FILE_EXTENSIONS = {"mp4", "webm", "ogv"}


class ParagraphBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(**kwargs)

    class Meta:
        icon = "pilcrow"
        template = "blocks/paragraph_block.html"
        label = _("Text")
        description = _("Paragraphs, lists, sub-headings and links.")


class FigureBlock(blocks.StructBlock):
    image = ImageBlock()
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "blocks/figure_block.html"
        label = _("Image")
        description = _(
            "An image, served in the size the learner's screen needs, with alt text and an "
            "optional caption."
        )


class VideoBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("title"), max_length=200)
    embed = EmbedBlock(
        label=_("video link"),
        required=False,
        help_text=_("A YouTube or Vimeo address. Leave empty when uploading a file."),
    )
    file = DocumentChooserBlock(
        label=_("video file"),
        required=False,
        help_text=_("An uploaded MP4, WebM or OGV file. Leave empty when using a link."),
    )
    transcript = blocks.RichTextBlock(
        label=_("transcript"),
        required=False,
        features=RICH_TEXT_FEATURES,
        help_text=_("Helps learners who cannot play sound and those on slow connections."),
    )

    def clean(self, value):
        value = super().clean(value)
        has_embed = bool(value.get("embed"))
        has_file = value.get("file") is not None
        if has_embed == has_file:
            message = _("Give either a video link or a video file, not both.")
            raise StructBlockValidationError(
                block_errors={
                    "embed": ErrorList([ValidationError(message)]),
                    "file": ErrorList([ValidationError(message)]),
                }
            )
        if has_file:
            extension = PurePosixPath(value["file"].file.name).suffix.lower().lstrip(".")
            if extension not in VIDEO_FILE_EXTENSIONS:
                raise StructBlockValidationError(
                    block_errors={
                        "file": ErrorList(
                            [ValidationError(_("Upload the video as MP4, WebM or OGV."))]
                        )
                    }
                )
        return value

    class Meta:
        icon = "media"
        template = "blocks/video_block.html"
        label = _("Video")
        description = _("A video from a link (YouTube, Vimeo) or an uploaded file.")


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("document"))
    title = blocks.CharBlock(
        label=_("link text"),
        required=False,
        max_length=200,
        help_text=_("Defaults to the document's title."),
    )
    description = blocks.TextBlock(label=_("description"), required=False, max_length=400)

    class Meta:
        icon = "doc-full"
        template = "blocks/document_block.html"
        label = _("Document download")
        description = _("A file learners can download, such as a handout or a template.")


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("kind"),
        choices=[
            ("info", _("Information")),
            ("tip", _("Tip")),
            ("warning", _("Warning")),
            ("regulation", _("Regulation")),
        ],
        default="info",
    )
    title = blocks.CharBlock(label=_("title"), required=False, max_length=200)
    body = blocks.RichTextBlock(label=_("text"), features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "warning"
        template = "blocks/callout_block.html"
        label = _("Callout")
        description = _("A highlighted note: a tip, a warning or the regulation that applies.")


class ActivityKeyBlock(blocks.CharBlock):
    """The stable key of an activity owned by another app (see courses.activities)."""

    def __init__(self, kind: str, **kwargs):
        self.kind = kind
        kwargs.setdefault("max_length", 36)
        kwargs.setdefault("validators", [validate_activity_key])
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        value = normalise_activity_key(value)
        # Once the owning app is installed, a key must name an activity that exists.
        if has_catalogue(self.kind) and value not in resolve_activities(self.kind, [value]):
            raise ValidationError(
                _("No activity with this ID exists."), code="unknown_activity_key"
            )
        return value

    class Meta:
        icon = "key"
        template = "blocks/activity_key_block.html"
        description = _("The ID of an activity, as shown in its library.")


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError, TypeError):
        return None


class H5PPackageKeyBlock(blocks.FieldBlock):
    """An H5P package picked with the content app's chooser, stored as its content id.

    The value stays the UUID string (as in lessons written before the chooser, and as
    lms.records keys on it); only the editing widget changes. Who may choose which package
    is checked by the page form (``h5p_choice_errors``): a block never knows the user.
    """

    target_model = "content.H5PPackage"

    def __init__(self, required=True, help_text=None, **kwargs):
        self._required = required
        self._help_text = help_text
        super().__init__(**kwargs)

    @cached_property
    def model_class(self):
        return resolve_model_string(self.target_model)

    @cached_property
    def field(self):
        # Built lazily: blocks are declared before the content app's models are loaded.
        return forms.CharField(
            required=self._required,
            help_text=self._help_text,
            widget=H5PPackageChooser(self.model_class, icon=self.meta.icon),
        )

    def value_from_datadict(self, data, files, prefix):
        value = super().value_from_datadict(data, files, prefix)
        # The chooser modal answers with the package's primary key; store its content id.
        if value and str(value).strip().isdigit():
            content_id = (
                self.model_class.objects.filter(pk=int(value))
                .values_list("content_id", flat=True)
                .first()
            )
            return str(content_id) if content_id else str(value).strip()
        return value

    def get_form_state(self, value):
        return self.field.widget.get_value_data(value)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        value = normalise_activity_key(value)
        # As for any activity key: once the content app is installed, the package must exist.
        if has_catalogue(ActivityKind.H5P) and not resolve_activities(ActivityKind.H5P, [value]):
            raise ValidationError(
                _("No H5P package with this ID exists, or it is disabled. Choose another one."),
                code="unknown_activity_key",
            )
        return value

    class Meta:
        icon = "pick"
        template = "blocks/activity_key_block.html"
        description = _("An H5P package from the content library.")


class H5PPackageChooser(AdminSnippetChooser):
    """The content app's package chooser (same modal, same per-city filtering), for a value
    that is a content id rather than a primary key."""

    def get_instance(self, value):
        if isinstance(value, self.model_class) or value in (None, ""):
            return value or None
        key = _as_uuid(value)
        if key is not None:
            return self.model_class.objects.filter(content_id=key).first()
        if str(value).strip().isdigit():
            return super().get_instance(int(value))
        return None

    def get_value_data(self, value):
        data = super().get_value_data(value)
        key = _as_uuid(value) if not isinstance(value, self.model_class) else None
        if data is None and key is not None:
            # Keep a key the library no longer has visible, so saving explains the problem
            # instead of silently dropping it.
            return {
                "id": str(key),
                "edit_url": None,
                self.display_title_key: _("Unknown H5P package (%(key)s)") % {"key": key},
            }
        return data

    def get_value_data_from_instance(self, instance):
        data = super().get_value_data_from_instance(instance)
        data["id"] = str(instance.content_id)
        return data


def h5p_choice_errors(stream_value, *, user, kept_keys=()) -> StreamBlockValidationError | None:
    """Errors for H5P blocks naming a package the user may not choose, or None.

    Called by the lesson's admin form, which knows the user. Keys already stored in the
    lesson (``kept_keys``) stay allowed, so editing a lesson never forces an editor to
    remove material someone with wider rights placed.
    """
    from content.selectors import packages_choosable_by

    positions = {}
    for index, child in enumerate(stream_value or []):
        if isinstance(child.block, H5PActivityBlock) and child.value.get("key"):
            key = str(child.value["key"])
            if key not in kept_keys:
                positions.setdefault(key, []).append(index)
    if not positions:
        return None
    ids = [key for key in (_as_uuid(k) for k in positions) if key is not None]
    allowed = {
        str(content_id)
        for content_id in packages_choosable_by(user)
        .filter(content_id__in=ids)
        .values_list("content_id", flat=True)
    }
    message = _(
        "You may not choose this H5P package: it is not in your city's library. "
        "Choose one from the list the chooser shows you."
    )
    block_errors = {
        index: StructBlockValidationError(
            block_errors={"key": ErrorList([ValidationError(message, code="not_choosable")])}
        )
        for key, indexes in positions.items()
        if key not in allowed
        for index in indexes
    }
    return StreamBlockValidationError(block_errors=block_errors) if block_errors else None


class _ActivityBlock(blocks.StructBlock):
    kind: str = ""

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        key = value.get("key")
        # The lesson page resolves every activity of the lesson in one batch; a block
        # rendered on its own (preview, tests) resolves just itself.
        batch = (parent_context or {}).get("activities")
        if batch is not None and (self.kind, key) in batch:
            context["activity"] = batch[(self.kind, key)]
        else:
            context["activity"] = resolve_activities(self.kind, [key]).get(key)
        return context


class H5PActivityBlock(_ActivityBlock):
    kind = ActivityKind.H5P
    key = H5PPackageKeyBlock(
        label=_("H5P package"),
        help_text=_("An H5P package from your city's content library."),
    )
    title = blocks.CharBlock(
        label=_("title"),
        max_length=200,
        help_text=_("Names the activity for screen readers and in the lesson outline."),
    )

    class Meta:
        icon = "pick"
        template = "blocks/h5p_block.html"
        label = _("H5P activity")
        description = _("An interactive H5P exercise; its score can complete the lesson.")


# --- quizzes (quizadmin) ------------------------------------------------------------------


class QuizKeyChooser(BaseChooser):
    """The quiz chooser modal (courses.quiz_admin, filtered to the editor's courses) for a
    value that is the quiz's key rather than its primary key."""

    model = "courses.Quiz"
    chooser_modal_url_name = "quiz_chooser:choose"
    choose_one_text = _("Choose a quiz")
    choose_another_text = _("Choose another quiz")
    link_to_chosen_text = _("Edit this quiz")
    icon = "tasks"

    def get_instance(self, value):
        if isinstance(value, self.model_class) or value in (None, ""):
            return value or None
        key = _as_uuid(value)
        if key is not None:
            return self.model_class.objects.filter(key=key).first()
        if str(value).strip().isdigit():
            return self.model_class.objects.filter(pk=int(value)).first()
        return None

    def get_value_data_from_instance(self, instance):
        data = super().get_value_data_from_instance(instance)
        data["id"] = str(instance.key)
        return data

    def get_value_data(self, value):
        data = super().get_value_data(value)
        key = _as_uuid(value) if not isinstance(value, self.model_class) else None
        if data is None and key is not None:
            # Keep a key the bank no longer has, so saving explains the problem instead of
            # silently dropping it.
            return {
                "id": str(key),
                "edit_url": None,
                self.display_title_key: _("Unknown quiz (%(key)s)") % {"key": key},
            }
        return data


class QuizKeyBlock(blocks.FieldBlock):
    """A quiz picked with the quiz chooser, stored as the quiz's key (a UUID string, as in
    lessons written before the chooser and as lms.records keys on it). Whether the quiz
    fits the lesson (same course, the editor may use it) is checked by the page form
    (``quiz_choice_errors``): a block knows neither the user nor the lesson."""

    def __init__(self, required=True, help_text=None, **kwargs):
        self._required = required
        self._help_text = help_text
        super().__init__(**kwargs)

    @cached_property
    def field(self):
        return forms.CharField(
            required=self._required, help_text=self._help_text, widget=QuizKeyChooser()
        )

    def value_from_datadict(self, data, files, prefix):
        value = super().value_from_datadict(data, files, prefix)
        # A primary key (from an older chooser response) is stored as the quiz's key.
        if value and str(value).strip().isdigit():
            from courses.quiz_models import Quiz

            key = Quiz.objects.filter(pk=int(value)).values_list("key", flat=True).first()
            return str(key) if key else str(value).strip()
        return value

    def get_form_state(self, value):
        return self.field.widget.get_value_data(value)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        value = normalise_activity_key(value)
        if has_catalogue(ActivityKind.QUIZ) and not resolve_activities(ActivityKind.QUIZ, [value]):
            raise ValidationError(
                _("No quiz with this ID exists. Choose one with the quiz chooser."),
                code="unknown_activity_key",
            )
        return value

    class Meta:
        icon = "tasks"
        template = "blocks/activity_key_block.html"
        description = _("A quiz from the course's question bank.")


def quiz_choice_errors(
    stream_value, *, user, course, kept_keys=()
) -> StreamBlockValidationError | None:
    """Errors for quiz blocks naming a quiz of another course, or one the user may not
    use (keys already in the lesson, ``kept_keys``, stay allowed for the latter), or None.
    Called by the lesson's admin form, which knows the user and the lesson's course."""
    from courses.quiz_models import Quiz
    from courses.quiz_permissions import quizzes_for

    positions = {}
    for index, child in enumerate(stream_value or []):
        if isinstance(child.block, QuizBlock) and child.value.get("key"):
            positions.setdefault(str(child.value["key"]), []).append(index)
    if not positions:
        return None
    ids = [key for key in (_as_uuid(k) for k in positions) if key is not None]
    course_of = dict(Quiz.objects.filter(key__in=ids).values_list("key", "course_id").iterator())
    course_of = {str(key): course_id for key, course_id in course_of.items()}
    usable = {
        str(key) for key in quizzes_for(user).filter(key__in=ids).values_list("key", flat=True)
    }
    other_course = _(
        "This quiz belongs to another course. Choose a quiz of this lesson's course, or "
        "make one in the course's question bank."
    )
    not_usable = _(
        "You may not use this quiz: it is not in a course you can edit. "
        "Choose one from the list the chooser shows you."
    )
    block_errors = {}
    for key, indexes in positions.items():
        if key not in course_of:
            continue  # unknown keys are reported by the block itself
        if course is not None and course_of[key] != course.pk:
            message, code = other_course, "other_course"
        elif key not in usable and key not in kept_keys:
            message, code = not_usable, "not_choosable"
        else:
            continue
        for index in indexes:
            block_errors[index] = StructBlockValidationError(
                block_errors={"key": ErrorList([ValidationError(message, code=code)])}
            )
    return StreamBlockValidationError(block_errors=block_errors) if block_errors else None


class QuizBlock(_ActivityBlock):
    kind = ActivityKind.QUIZ
    key = QuizKeyBlock(
        label=_("quiz"),
        help_text=_("A quiz of this lesson's course, from its question bank."),
    )
    title = blocks.CharBlock(label=_("title"), max_length=200)

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        # The start URL needs the lesson too: the learner's attempt belongs to the quiz
        # as placed in this lesson. Computed here, lazily, so a lesson renders even while
        # the learner's quiz pages are not installed.
        page = (parent_context or {}).get("page")
        activity = context.get("activity")
        lesson_key = getattr(page, "translation_key", None)
        start_url = ""
        if activity is not None and lesson_key is not None:
            from courses.quiz_catalogue import quiz_start_url

            start_url = quiz_start_url(quiz_key=activity.key, lesson_key=lesson_key)
        context["start_url"] = start_url or getattr(activity, "launch_url", "")
        # Only the quiz engine's own catalogue knows the summary (a stand-in may not).
        context["summary"] = activity if hasattr(activity, "question_count") else None
        return context

    class Meta:
        icon = "tasks"
        template = "blocks/quiz_block.html"
        label = _("Quiz")
        description = _("A graded quiz; passing it can complete the lesson.")


class BaseStreamBlock(blocks.StreamBlock):
    """Every block a lesson can use; any page with a body reuses this one vocabulary."""

    paragraph = ParagraphBlock()
    image = FigureBlock()
    video = VideoBlock()
    document = DocumentBlock()
    callout = CalloutBlock()
    h5p = H5PActivityBlock()
    quiz = QuizBlock()

    class Meta:
        template = "blocks/base_stream_block.html"
        description = _("Lesson content")
