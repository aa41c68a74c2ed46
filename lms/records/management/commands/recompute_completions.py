"""Evaluate a course's current completion criteria again for everyone who started it.

Run it after an admin changed a lesson's criteria (rule, threshold, required flag):

    manage.py recompute_completions --course <translation_key or page id> [--no-progress]
    manage.py recompute_completions --all

Lessons and courses the new criteria complete are completed now, with JP credited;
completions already recorded keep the criteria of their time.
"""

import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from courses.models import CoursePage
from lms.records.models import ActivityKind, ActivityProgress
from lms.records.services import completions_recompute


class Command(BaseCommand):
    help = "Evaluate completion criteria again after a course's criteria changed."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--course", help="The course's translation_key (UUID) or page id.")
        target.add_argument("--all", action="store_true", help="Every course anyone started.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        courses = self._courses(options)
        total_completed = 0
        for course in courses:
            learners = (
                ActivityProgress.objects.filter(
                    course_key=course.translation_key, kind=ActivityKind.COURSE
                )
                .values("learner_id")
                .count()
            )
            with tqdm(
                total=learners,
                desc=course.title[:40],
                unit=_("learner"),
                disable=options["no_progress"],
                file=self.stderr,
            ) as bar:
                completed = completions_recompute(course=course, on_learner=lambda: bar.update(1))
            total_completed += completed
            self.stdout.write(
                _("%(course)s: %(learners)d learners checked, %(completed)d newly completed.")
                % {"course": course.title, "learners": learners, "completed": completed}
            )
        self.stdout.write(
            _("Done: %(completed)d new course completions.") % {"completed": total_completed}
        )

    def _courses(self, options) -> list[CoursePage]:
        if options["all"]:
            keys = ActivityProgress.objects.filter(kind=ActivityKind.COURSE).values("activity_key")
            return list(CoursePage.objects.live().filter(translation_key__in=keys))
        value = options["course"].strip()
        try:
            course = CoursePage.objects.live().filter(translation_key=uuid.UUID(value)).first()
        except ValueError:
            course = (
                CoursePage.objects.live().filter(pk=int(value)).first() if value.isdigit() else None
            )
        if course is None:
            raise CommandError(
                _("No published course with the key or id “%(value)s”.") % {"value": value}
            )
        return [course]
