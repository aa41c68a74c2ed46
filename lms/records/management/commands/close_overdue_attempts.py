"""Close and grade quiz attempts whose time ran out: the periodic side of the deadline.

An overdue attempt is also closed on its learner's next request; this command closes the
ones nobody touches again (a phone that went offline mid-exam). Run it every minute:

    * * * * *  manage.py close_overdue_attempts

Safe to run concurrently with itself and with learners submitting: each attempt is
closed once, under its learner's lock.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from lms.records.quiz_services import attempts_close_overdue


class Command(BaseCommand):
    help = "Close and grade quiz attempts past their deadline."

    def handle(self, *args, **options):
        closed = attempts_close_overdue()
        self.stdout.write(_("%(count)d overdue attempts closed and graded.") % {"count": closed})
