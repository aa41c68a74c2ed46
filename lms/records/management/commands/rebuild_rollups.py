"""Recompute the dashboards' read models from the learning records:

    manage.py rebuild_rollups [--no-progress]

Rollup, RollupWeek, LearnerYear and LearnerActivity are rebuilt from the progress rows,
completions and the JP ledger in one transaction (see lms.records.rollups). Run it after
a bulk import of records, or if the dashboards' figures are ever in doubt; it is safe to
run while learners are recording (they wait for it) and safe to run twice.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from tqdm import tqdm

from lms.records.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Rebuild the dashboards' rollups from the learning records."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        self.stdout.write(_("Rebuilding the dashboard figures from the learning records…"))
        with tqdm(
            total=1,
            desc=_("Rollups"),
            unit=_("step"),
            disable=options["no_progress"],
            file=self.stderr,
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            report = rollups_rebuild(progress=progress)
        self.stdout.write(
            _(
                "Done: %(rollups)d rollup rows, %(weeks)d weekly rows, %(years)d "
                "learner-years, %(active)d learners with activity, %(due)d due-date rows."
            )
            % {
                "rollups": report.rollup_rows,
                "weeks": report.week_rows,
                "years": report.learner_years,
                "active": report.learner_activity,
                "due": report.due_rows,
            }
        )
