"""Side effects of recording, run after the transaction commits (django-tasks: inline by
default, a worker at scale). They only read records; a failure here never undoes one."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def course_completed_notify(completion_id: int) -> None:
    """Tell the learner their course is complete and which certificate number it has."""
    from lms.records.models import CourseCompletion

    completion = CourseCompletion.objects.select_related("learner").filter(pk=completion_id).first()
    if completion is None:
        return
    logger.info(
        "course completed: learner %s, course %s, certificate %s",
        completion.learner_id,
        completion.course_key,
        completion.certificate_number,
    )
    email = completion.learner.email
    if not email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("You completed “%(course)s”") % {"course": completion.course_title}
        body = _(
            "Congratulations, %(name)s! You completed “%(course)s” on %(date)s and were "
            "credited %(jp)s JP. Your certificate number is %(number)s. You can see your "
            "yearly JP on your learning page."
        ) % {
            "name": completion.learner.full_name,
            "course": completion.course_title,
            "date": completion.completed_on.isoformat(),
            "jp": completion.jp,
            "number": completion.certificate_number,
        }
    send_mail(subject, body, None, [email], fail_silently=True)
