"""Import a GIFT or Aiken question file into a course's question bank, all or nothing:

    manage.py import_questions soal.gift --course literasi-keamanan-siber --format gift
    manage.py import_questions soal.txt --course-id 42 --format aiken --category "Pra-tes"
    manage.py import_questions soal.gift --course literasi-keamanan-siber --format gift --dry-run

Courses are found by their page slug; the same slug may exist in several cities'
curricula, and then the page id (``--course-id``) picks one. When any question is refused,
every problem is printed as ``line N: message``, nothing is imported and the command exits
with a non-zero status.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses import quiz_services
from courses.models import CoursePage
from courses.question_formats import FormatError


def add_course_arguments(parser) -> None:
    parser.add_argument("--course", metavar="SLUG", help="The course's page slug.")
    parser.add_argument(
        "--course-id", type=int, metavar="ID", help="The course's page id (when slugs repeat)."
    )


def course_from_options(options) -> CoursePage:
    """The course named by --course-id or --course, or a CommandError saying what to do."""
    if options.get("course_id"):
        course = CoursePage.objects.filter(pk=options["course_id"]).first()
        if course is None:
            raise CommandError(
                _("No course has the page id %(id)s.") % {"id": options["course_id"]}
            )
        return course
    slug = options.get("course")
    if not slug:
        raise CommandError(_("Name the course with --course SLUG or --course-id ID."))
    courses = list(CoursePage.objects.filter(slug=slug).order_by("pk"))
    if not courses:
        raise CommandError(_("No course has the slug “%(slug)s”.") % {"slug": slug})
    if len(courses) > 1:
        raise CommandError(
            _(
                "Several courses have the slug “%(slug)s”: %(courses)s. "
                "Choose one with --course-id ID."
            )
            % {
                "slug": slug,
                "courses": "; ".join(f"{course.pk} ({course.title})" for course in courses),
            }
        )
    return courses[0]


def read_text(path: str) -> str:
    """The file as text: UTF-8, with or without the BOM that Windows editors add."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise CommandError(
            _("Cannot read “%(path)s”: %(reason)s") % {"path": path, "reason": error.strerror}
        ) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CommandError(
            _(
                "“%(path)s” is not UTF-8 text (unreadable byte at position %(position)s). "
                "Save it as UTF-8 and try again."
            )
            % {"path": path, "position": error.start}
        ) from error


class Command(BaseCommand):
    help = "Import a GIFT or Aiken question file into a course's question bank (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The question file (UTF-8).")
        add_course_arguments(parser)
        parser.add_argument(
            "--format", dest="fmt", required=True, choices=sorted(quiz_services.FORMATS)
        )
        parser.add_argument(
            "--category",
            help="Category for questions without a $CATEGORY line (default: Default).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file only; import nothing."
        )

    def handle(self, *args, **options):
        course = course_from_options(options)
        text = read_text(options["file"])
        try:
            result = quiz_services.questions_import(
                course=course,
                text=text,
                fmt=options["fmt"],
                category_name=options["category"],
                dry_run=options["dry_run"],
            )
        except FormatError as error:
            for line, message in error.errors:
                self.stderr.write(
                    _("line %(line)s: %(message)s") % {"line": line, "message": message}
                )
            raise CommandError(
                ngettext(
                    "Nothing was imported: fix the %(count)s problem above and try again.",
                    "Nothing was imported: fix the %(count)s problems above and try again.",
                    len(error.errors),
                )
                % {"count": len(error.errors)}
            ) from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

        summary = {
            "count": len(result.questions),
            "course": course.title,
            "categories": ", ".join(result.categories),
        }
        if options["dry_run"]:
            self.stdout.write(
                ngettext(
                    "Checked %(count)s question for “%(course)s” (categories: %(categories)s): "
                    "it can be imported. Nothing was written (--dry-run).",
                    "Checked %(count)s questions for “%(course)s” (categories: %(categories)s): "
                    "all can be imported. Nothing was written (--dry-run).",
                    summary["count"],
                )
                % summary
            )
        else:
            self.stdout.write(
                ngettext(
                    "Imported %(count)s question into “%(course)s” (categories: %(categories)s).",
                    "Imported %(count)s questions into “%(course)s” (categories: %(categories)s).",
                    summary["count"],
                )
                % summary
            )
