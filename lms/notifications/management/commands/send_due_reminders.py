import datetime

from django.core.management.base import BaseCommand, CommandError

from lms.notifications.tasks import due_date_reminders


class Command(BaseCommand):
    help = (
        "Remind learners of mandatory courses due in 7 days and in 1 day. Run it daily "
        "(cron); running it twice the same day sends nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            help="Count days from this date (YYYY-MM-DD) instead of each city's today.",
        )

    def handle(self, *args, today=None, **options):
        day = None
        if today:
            try:
                day = datetime.date.fromisoformat(today)
            except ValueError:
                raise CommandError(
                    f"--today must be a date like 2026-12-01, not {today!r}."
                ) from None
        sent = due_date_reminders(today=day)
        self.stdout.write(f"{sent} reminder(s) sent.")
