"""manage.py import_learners FILE [--city SLUG] [--dry-run]

Prints the per-row report on stdout and a progress bar on stderr (when it is a terminal).
Exit status: 0 when the whole file was (or, with --dry-run, would be) imported; 1 when the
file or any row was refused (nothing is written then); 2 when the command could not run
(no such file, unknown city).
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from tqdm import tqdm

from lms.people.importing import WARNING, learners_import
from lms.people.models import City

EXIT_REFUSED = 1
EXIT_CANNOT_RUN = 2


class _Progress:
    """One tqdm bar per phase of the import (checking rows, then writing them)."""

    def __init__(self, stream):
        self.stream = stream
        self.bars: dict[str, tqdm] = {}

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        bar = self.bars.get(phase)
        if bar is None:
            labels = {
                "read": pgettext("learner import progress", "Checking"),
                "write": pgettext("learner import progress", "Writing"),
            }
            # disable=None: no bar when stderr is a pipe or a log file.
            bar = tqdm(
                desc=labels.get(phase, phase),
                total=total,
                unit=" " + pgettext("learner import progress", "rows"),
                file=self.stream,
                disable=None,
                dynamic_ncols=True,
            )
            self.bars[phase] = bar
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


class Command(BaseCommand):
    help = (
        "Import learners from a roster (CSV or XLSX) into a city: upsert by NIP, all rows or "
        "none. Columns: nip, nama, email (required); golongan, jabatan, unit_kerja, "
        "nip_atasan, telepon (optional)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The roster: a .csv (UTF-8, comma or semicolon) or .xlsx")
        parser.add_argument(
            "--city",
            metavar="SLUG",
            help="The city to import into (may be left out when there is only one city).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and print the report without writing anything.",
        )

    def handle(self, *args, file: str, city: str | None, dry_run: bool, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(
                _("File not found: %(path)s. Check the path and try again.") % {"path": file},
                returncode=EXIT_CANNOT_RUN,
            )
        if not path.is_file():
            raise CommandError(
                _("%(path)s is not a file. Give the path of a .csv or .xlsx roster.")
                % {"path": file},
                returncode=EXIT_CANNOT_RUN,
            )
        # The file is checked first: a typo in the path needs no database.
        target = self._city(city)
        progress = _Progress(sys.stderr)
        try:
            with path.open("rb") as handle:
                report = learners_import(
                    file=handle,
                    city=target,
                    filename=path.name,
                    dry_run=dry_run,
                    progress=progress,
                )
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s") % {"path": file, "reason": exc.strerror},
                returncode=EXIT_CANNOT_RUN,
            ) from None
        finally:
            progress.close()

        self._write_report(report, verbosity=options["verbosity"])
        if not report.ok:
            raise CommandError(
                _("Import refused: nothing was written. Correct the rows listed above."),
                returncode=EXIT_REFUSED,
            )

    def _city(self, slug: str | None) -> City:
        if slug:
            city = City.objects.filter(slug=slug).first()
            if city is None:
                raise CommandError(
                    _("No city with the slug “%(slug)s”. Known cities: %(known)s.")
                    % {"slug": slug, "known": self._known_slugs()},
                    returncode=EXIT_CANNOT_RUN,
                )
            return city
        cities = list(City.objects.all()[:2])
        if len(cities) == 1:
            return cities[0]
        if not cities:
            raise CommandError(
                _("There is no city yet. Create the city first, then import its learners."),
                returncode=EXIT_CANNOT_RUN,
            )
        raise CommandError(
            _("Give the city to import into with --city SLUG. Known cities: %(known)s.")
            % {"known": self._known_slugs()},
            returncode=EXIT_CANNOT_RUN,
        )

    def _known_slugs(self) -> str:
        return ", ".join(City.objects.values_list("slug", flat=True)) or "-"

    def _write_report(self, report, *, verbosity: int) -> None:
        self.stdout.write(
            ngettext(
                "%(file)s → %(city)s: %(rows)s row read.",
                "%(file)s → %(city)s: %(rows)s rows read.",
                report.row_count,
            )
            % {"file": report.filename, "city": report.city.name, "rows": report.row_count}
        )
        # Issues in row order: file and header problems first, then row by row.
        for issue in sorted(report.issues, key=lambda issue: issue.row or 0):
            if issue.level == WARNING:
                self.stdout.write(self.style.WARNING(_("Warning: %(issue)s") % {"issue": issue}))
            else:
                self.stdout.write(self.style.ERROR(str(issue)))
        if verbosity >= 2 and report.ok:
            for row in report.rows:
                self.stdout.write(
                    _("Row %(row)s (NIP %(nip)s): %(action)s")
                    % {"row": row.number, "nip": row.nip, "action": report.row_action_label(row)}
                )
        style = self.style.SUCCESS if report.ok else self.style.ERROR
        self.stdout.write(style(report.summary()))
