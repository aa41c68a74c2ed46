"""Issue the certificates of completions that have none, and render missing PDFs.

For completions recorded before certificates existed, or whose certificate task failed
(e.g. a city's number format had to be fixed first):

    manage.py issue_certificates [--city <slug>] [--year 2026] [--no-pdf] [--no-progress]

Completions are numbered in the order they were completed. Safe to run again: issuing
and rendering are idempotent.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from lms.people.models import City
from lms.records import certificates
from lms.records.models import Certificate, CourseCompletion


class Command(BaseCommand):
    help = "Issue missing certificates of course completions and render missing PDFs."

    def add_arguments(self, parser):
        parser.add_argument("--city", help="Only this city (its slug).")
        parser.add_argument("--year", type=int, help="Only completions of this year.")
        parser.add_argument("--no-pdf", action="store_true", help="Issue numbers only.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        completions = CourseCompletion.objects.filter(certificate__isnull=True)
        missing_pdfs = Certificate.objects.filter(pdf="", revoked_at__isnull=True)
        if options["city"]:
            city = City.objects.filter(slug=options["city"]).first()
            if city is None:
                raise CommandError(
                    _("No city with the slug “%(slug)s”.") % {"slug": options["city"]}
                )
            completions = completions.filter(city=city)
            missing_pdfs = missing_pdfs.filter(city=city)
        if options["year"]:
            completions = completions.filter(year=options["year"])
            missing_pdfs = missing_pdfs.filter(year=options["year"])

        issued = failed = 0
        ids = list(completions.order_by("completed_at", "pk").values_list("pk", flat=True))
        for pk in tqdm(ids, desc=_("Issuing"), disable=options["no_progress"], file=self.stderr):
            try:
                certificates.certificate_issue(completion=CourseCompletion(pk=pk))
            except ValidationError as exc:
                failed += 1
                self.stderr.write(" ".join(exc.messages))
            else:
                issued += 1

        rendered = 0
        if not options["no_pdf"]:
            pending = list(missing_pdfs.order_by("pk"))
            for certificate in tqdm(
                pending, desc=_("Rendering PDFs"), disable=options["no_progress"], file=self.stderr
            ):
                certificates.certificate_pdf_ensure(certificate=certificate)
                rendered += 1

        self.stdout.write(
            _(
                "Done: %(issued)d certificates issued, %(rendered)d PDFs rendered, "
                "%(failed)d failed."
            )
            % {"issued": issued, "rendered": rendered, "failed": failed}
        )
        if failed:
            raise CommandError(
                _("%(failed)d certificates could not be issued; see the messages above.")
                % {"failed": failed}
            )
