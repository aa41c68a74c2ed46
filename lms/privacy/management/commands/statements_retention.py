"""Apply the retention period of raw xAPI statements (STATEMENT_RETENTION_DAYS).

Run it daily (cron, or a django-tasks periodic job). Statements stored longer ago than
the period lose their personal parts (``strip``, the default) or are deleted
(``delete``); the progress, completions, JP and counters do not read them again.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lms.privacy.services import statements_retention_apply


class Command(BaseCommand):
    help = "Strip or delete raw xAPI statement payloads older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Override STATEMENT_RETENTION_DAYS (0 there means: keep for ever).",
        )
        parser.add_argument(
            "--mode",
            choices=["strip", "delete"],
            default=None,
            help="Override STATEMENT_RETENTION_MODE.",
        )
        parser.add_argument("--chunk", type=int, default=1000, help="Rows per transaction.")

    def handle(self, *args, days, mode, chunk, **options):
        days = settings.STATEMENT_RETENTION_DAYS if days is None else days
        mode = mode or settings.STATEMENT_RETENTION_MODE
        if days <= 0:
            self.stdout.write("Retention is off (STATEMENT_RETENTION_DAYS=0); nothing done.")
            return
        if chunk < 1:
            raise CommandError("--chunk must be at least 1.")
        if mode not in {"strip", "delete"}:
            raise CommandError("STATEMENT_RETENTION_MODE must be 'strip' or 'delete'.")
        changed = statements_retention_apply(days=days, mode=mode, chunk=chunk)
        verb = "stripped" if mode == "strip" else "deleted"
        self.stdout.write(f"{changed} statement(s) older than {days} days {verb}.")
