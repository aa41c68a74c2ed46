"""Export a course's question bank (or one category) as GIFT:

    manage.py export_questions --course literasi-keamanan-siber --output soal.gift
    manage.py export_questions --course-id 42 --category "Kata Sandi"

Without --output the GIFT text goes to standard output. Ordering questions have no GIFT
syntax and are listed in the file as comments.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from courses import quiz_services
from courses.management.commands.import_questions import (
    add_course_arguments,
    course_from_options,
)
from courses.quiz_models import QuestionCategory


class Command(BaseCommand):
    help = "Export a course's question bank as a GIFT file."

    def add_arguments(self, parser):
        add_course_arguments(parser)
        parser.add_argument("--category", help="Only this category (its name).")
        parser.add_argument("--output", help="Write to this file instead of standard output.")

    def handle(self, *args, **options):
        course = course_from_options(options)
        category = None
        if options["category"]:
            category = QuestionCategory.objects.filter(
                course=course, name=options["category"]
            ).first()
            if category is None:
                raise CommandError(
                    _("The course “%(course)s” has no category “%(category)s”.")
                    % {"course": course.title, "category": options["category"]}
                )
        try:
            text = quiz_services.questions_export(course=course, category=category)
        except ValidationError as error:  # pragma: no cover - the category is this course's
            raise CommandError(" ".join(error.messages)) from error
        if not options["output"]:
            self.stdout.write(text, ending="")
            return
        try:
            Path(options["output"]).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(
                _("Cannot write “%(path)s”: %(reason)s")
                % {"path": options["output"], "reason": error.strerror}
            ) from error
        self.stderr.write(
            _("Exported the questions of “%(course)s” to %(path)s.")
            % {"course": course.title, "path": options["output"]}
        )
