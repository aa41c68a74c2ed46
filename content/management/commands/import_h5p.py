"""``manage.py import_h5p FILE... [--city SLUG]``: validate and import H5P packages."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from content import services
from lms.people.models import City


class Command(BaseCommand):
    help = (
        "Validate and import H5P packages (.h5p files). Prints one line per file; exits "
        "with a non-zero status when any file was refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="An .h5p file.")
        parser.add_argument(
            "--city",
            metavar="SLUG",
            help="The city whose collection receives the packages (default: national).",
        )

    def handle(self, *args, files, city=None, **options):
        city_obj = None
        if city:
            city_obj = City.objects.filter(slug=city).first()
            if city_obj is None:
                raise CommandError(_("No city has the slug “%(slug)s”.") % {"slug": city})
        refused = 0
        for name in files:
            path = Path(name)
            try:
                with path.open("rb") as handle:
                    package = services.package_import(
                        file=handle, filename=path.name, city=city_obj
                    )
            except OSError as exc:
                refused += 1
                reason = _("the file cannot be read (%(error)s).") % {"error": exc.strerror or exc}
                self.stdout.write(
                    _("refused  %(file)s: %(reason)s") % {"file": name, "reason": reason}
                )
                continue
            except ValidationError as exc:
                refused += 1
                self.stdout.write(
                    _("refused  %(file)s: %(reason)s")
                    % {"file": name, "reason": services.refusal_text(exc)}
                )
                continue
            self.stdout.write(
                _("imported %(file)s: “%(title)s”, content ID %(content_id)s")
                % {"file": name, "title": package.title, "content_id": package.content_id}
            )
        if refused:
            raise CommandError(
                _("%(refused)s of %(total)s files were refused.")
                % {"refused": refused, "total": len(files)}
            )
