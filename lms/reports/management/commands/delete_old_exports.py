"""Delete background exports (their files and rows) older than some days:

    manage.py delete_old_exports [--days 30]

Run it daily from cron: export files hold personal data and should not pile up.
"""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.reports.exports import exports_delete_old


class Command(BaseCommand):
    help = "Delete export files and their jobs older than --days (default 30)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="Keep exports this many days.")

    def handle(self, *args, **options):
        days = max(options["days"], 0)
        deleted = exports_delete_old(before=timezone.now() - datetime.timedelta(days=days))
        self.stdout.write(_("%(count)d old exports deleted.") % {"count": deleted})
