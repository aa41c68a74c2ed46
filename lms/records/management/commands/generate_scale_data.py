"""Generate synthetic cities, learners and a year of learning records for scale work.

    manage.py generate_scale_data                          # a small set (3 cities, 200 learners)
    manage.py generate_scale_data --learners 100000 --progress-rows 3000000 \\
        --cities 8 --agencies-per-city 40 --courses 16

Synthetic data only (see lms/records/scale.py): it writes records in bulk, bypassing the
per-event services, and ends with the rollup rebuild so the dashboards' read models are
exact. It refuses to run into a database that already has generated data (generate into
a fresh database), and refuses bad options before writing anything.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from lms.records.scale import DEFAULT_PASSWORD, ScaleOptions, ScaleOptionsError, scale_data_generate


class Command(BaseCommand):
    help = (
        "Generate synthetic cities, agencies, learners, courses and a year of learning "
        "records (for scale work and benchmarks only; never on a real deployment)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cities", type=int, default=3, help="Number of cities (default 3).")
        parser.add_argument(
            "--agencies-per-city", type=int, default=6, help="Agencies in each city (default 6)."
        )
        parser.add_argument(
            "--learners", type=int, default=200, help="Learners over all cities (default 200)."
        )
        parser.add_argument(
            "--courses", type=int, default=4, help="Courses in the national catalogue (default 4)."
        )
        parser.add_argument(
            "--progress-rows",
            type=int,
            default=2000,
            help="ActivityProgress rows over all learners, exactly (default 2000).",
        )
        parser.add_argument(
            "--year", type=int, default=None, help="Year of the records (default: this year)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password of the generated admin accounts (default {DEFAULT_PASSWORD}).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DJANGO_DEBUG is off (benchmarks; never on a real deployment).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bars.")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                _(
                    "Generated data has well-known admin passwords, so it is only generated "
                    "when DJANGO_DEBUG=1. Use --force for a benchmark database."
                )
            )
        scale_options = ScaleOptions(
            cities=options["cities"],
            agencies_per_city=options["agencies_per_city"],
            learners=options["learners"],
            courses=options["courses"],
            progress_rows=options["progress_rows"],
            year=options["year"],
            seed=options["seed"],
            password=options["password"],
        )
        hidden = options["no_progress"]
        verbose = options["verbosity"] >= 1

        def progress(description: str, total: int):
            return tqdm(total=total, desc=description, unit="row", disable=hidden, file=self.stderr)

        def say(message: str) -> None:
            if verbose:
                self.stdout.write(message)

        try:
            report = scale_data_generate(options=scale_options, progress=progress, say=say)
        except ScaleOptionsError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        rollups = report.rollups
        lines = [
            _("Generated for %(year)d:") % {"year": report.year},
            "  "
            + _("cities %(n)d, agencies %(agencies)d, courses %(courses)d")
            % {"n": report.cities, "agencies": report.agencies, "courses": report.courses},
            "  "
            + _("learners %(n)d (supervisors %(supervisors)d)")
            % {"n": report.learners, "supervisors": report.supervisors},
            "  "
            + _("progress rows %(n)d, completions %(completions)d, certificates %(certificates)d")
            % {
                "n": report.progress_rows,
                "completions": report.completions,
                "certificates": report.certificates,
            },
            "  "
            + _(
                "JP credits %(n)d, enrolments %(enrolments)d (mandatory, due and not "
                "completed: %(overdue)d)"
            )
            % {
                "n": report.jp_credits,
                "enrolments": report.enrolments,
                "overdue": report.overdue_candidates,
            },
        ]
        if rollups is not None:
            lines.append(
                "  "
                + _(
                    "rollups rebuilt: %(rollups)d rollup rows, %(weeks)d week rows, "
                    "%(years)d learner-years, %(activity)d learner-activity rows"
                )
                % {
                    "rollups": rollups.rollup_rows,
                    "weeks": rollups.week_rows,
                    "years": rollups.learner_years,
                    "activity": rollups.learner_activity,
                }
            )
        lines.append(_("Admin logins (password: %(password)s):") % {"password": report.password})
        shown = report.logins[:6]
        lines += [f"  {username} ({role})" for username, role in shown]
        if len(report.logins) > len(shown):
            lines.append(
                "  "
                + _("… and %(count)d more city admins: admin-<city slug>")
                % {"count": len(report.logins) - len(shown)}
            )
        self.stdout.write("\n".join(lines))
