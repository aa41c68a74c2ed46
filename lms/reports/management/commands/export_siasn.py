"""A city-year's course completions in SIASN "riwayat kursus" fields, to a file:

    manage.py export_siasn --city SLUG --year 2026 --format csv|json --output FILE
        [--agency ID] [--no-progress]

The same rows and writers as the admin's background export (lms.reports.exports). The
file is written next to FILE under a temporary name and renamed at the end, so an
interrupted run never leaves a half file under the asked name.
"""

import os
import tempfile

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from lms.people.models import City
from lms.reports import exports


class Command(BaseCommand):
    help = "Write a city-year's course completions in SIASN riwayat kursus fields (CSV or JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--city", required=True, help="The city's slug.")
        parser.add_argument("--year", required=True, type=int, help="The year of completion.")
        parser.add_argument("--format", choices=sorted(exports.SIASN_WRITERS), default="csv")
        parser.add_argument("--output", required=True, help="The file to write.")
        parser.add_argument("--agency", type=int, help="Only this agency (id) and its units.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        city = City.objects.filter(slug=options["city"]).first()
        if city is None:
            raise CommandError(_("No city with the slug %(slug)s.") % {"slug": options["city"]})
        completions = exports.siasn_completions(
            city=city, year=options["year"], agency_id=options["agency"]
        )
        total = completions.count()
        write = exports.SIASN_WRITERS[options["format"]]
        with tqdm(
            total=total,
            unit=_("row"),
            disable=options["no_progress"],
            file=self.stderr,
        ) as bar:

            def rows():
                for row in exports.siasn_rows(completions):
                    bar.update(1)
                    yield row

            count = self._write_file(options["output"], write, rows())
        self.stderr.write(
            _("%(count)d completions of %(city)s in %(year)d written.")
            % {"count": count, "city": city.name, "year": options["year"]}
        )

    def _write_file(self, output, write, rows) -> int:
        directory = os.path.dirname(os.path.abspath(output))
        handle, partial_path = tempfile.mkstemp(dir=directory, suffix=".partial")
        try:
            with os.fdopen(handle, "wb") as target:
                count = write(rows, target)
            os.replace(partial_path, output)
        except BaseException:
            if os.path.exists(partial_path):
                os.unlink(partial_path)
            raise
        return count
