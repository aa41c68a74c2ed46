"""manage.py create_xapi_client NAME [--city SLUG] [--read] [--write]: a new LRS client;
prints its key and secret once (only a digest of the secret is kept)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms.lrs.services import xapi_client_create
from lms.people.models import City


class Command(BaseCommand):
    help = "Create xAPI client credentials (HTTP Basic) for the LRS at /xapi/."

    def add_arguments(self, parser):
        parser.add_argument("name", help="What the client is, e.g. the authoring tool.")
        parser.add_argument("--city", help="Slug of the city (default: national, every city).")
        parser.add_argument("--read", action="store_true", help="May read statements.")
        parser.add_argument("--write", action="store_true", help="May send statements.")

    def handle(self, *args, name, city, read, write, **options):
        city_obj = None
        if city:
            city_obj = City.objects.filter(slug=city).first()
            if city_obj is None:
                raise CommandError(_("No city with the slug %(slug)s.") % {"slug": city})
        if not read and not write:
            read = True
        issued = xapi_client_create(name=name, city=city_obj, can_read=read, can_write=write)
        self.stdout.write(_("Key: %(key)s") % {"key": issued.client.key})
        self.stdout.write(_("Secret: %(secret)s") % {"secret": issued.secret})
        self.stdout.write(
            _("Keep the secret now: it is shown only this once. The LRS is at %(url)s.")
            % {"url": "/xapi/"}
        )
