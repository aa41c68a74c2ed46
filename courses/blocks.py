"""The one StreamField vocabulary for lessons (BaseStreamBlock) and its blocks."""

from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock

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
    key = ActivityKeyBlock(
        ActivityKind.H5P,
        label=_("H5P content ID"),
        help_text=_("The content ID of an H5P package uploaded to the content library."),
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


class QuizBlock(_ActivityBlock):
    kind = ActivityKind.QUIZ
    key = ActivityKeyBlock(
        ActivityKind.QUIZ,
        label=_("quiz ID"),
        help_text=_("The ID of a quiz from the question bank."),
    )
    title = blocks.CharBlock(label=_("title"), max_length=200)

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
