"""Pages of supervisor feedback: the list of conversations, one conversation, writing
feedback to a person, and reminding them ("ingatkan"). Rules live in services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from lms.feedback import selectors, services
from lms.feedback.forms import NudgeForm, ReplyForm, WriteForm, add_service_errors
from lms.feedback.services import FeedbackRefused
from lms.people.models import LearnerProfile
from lms.people.permissions import roles_of


def _refused(request, message: str):
    return render(request, "feedback/refused.html", {"message": message}, status=403)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _bound(form_class, request, **kwargs):
    return form_class(request.POST if request.method == "POST" else None, **kwargs)


@login_required
@require_GET
def feedback_list(request):
    """A learner's own conversations, and (for supervisors) the ones they wrote in."""
    profile_id = roles_of(request.user).profile_id
    profile = LearnerProfile.objects.filter(pk=profile_id).first() if profile_id else None
    return render(
        request,
        "feedback/list.html",
        {
            "own_threads": selectors.threads_for_learner(profile, limit=50) if profile else [],
            "team_threads": selectors.threads_for_supervisor(request.user, limit=50),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread_detail(request, thread_id: int):
    thread = selectors.thread_with_messages(thread_id, request.user)
    if thread is None:
        raise Http404
    form = _bound(ReplyForm, request)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_reply(
                author=request.user, thread=thread, body=form.cleaned_data["body"]
            )
        except FeedbackRefused as exc:
            return _refused(request, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your message was sent."))
            return redirect("feedback:thread", thread_id=thread.pk)
    if request.method == "GET":
        services.thread_mark_read(user=request.user, thread=thread)
    return render(request, "feedback/thread.html", {"thread": thread, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def feedback_write(request, learner_profile_id: int):
    """A supervisor writes feedback to a person, in general or about a course or a quiz
    result (the team page posts topic_kind, topic_key and topic_title)."""
    learner = get_object_or_404(
        LearnerProfile.objects.select_related("city"), pk=learner_profile_id
    )
    if not services.supervises(request.user, learner):
        return _refused(request, _("Only this person's supervisors can write feedback to them."))
    form = _bound(
        WriteForm,
        request,
        initial={
            key: request.GET[key]
            for key in ("topic_kind", "topic_key", "topic_title")
            if key in request.GET
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = services.feedback_write(
                author=request.user,
                learner=learner,
                topic_kind=data["topic_kind"],
                topic_key=data["topic_key"] or None,
                topic_title=data["topic_title"],
                body=data["body"],
            )
        except FeedbackRefused as exc:
            return _refused(request, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Your feedback was sent to %(name)s.") % {"name": learner.full_name}
            )
            return redirect("feedback:thread", thread_id=message.thread_id)
    return render(request, "feedback/write.html", {"learner": learner, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def nudge(request, learner_profile_id: int):
    """A supervisor reminds a person on their team to keep learning (once a day)."""
    learner = get_object_or_404(
        LearnerProfile.objects.select_related("city"), pk=learner_profile_id
    )
    if not services.supervises(request.user, learner):
        return _refused(request, _("You can only remind people on your own team."))
    form = _bound(NudgeForm, request)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.nudge(
                supervisor=request.user, learner=learner, message=form.cleaned_data["message"]
            )
        except FeedbackRefused as exc:
            return _refused(request, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if sent is None:
                messages.info(
                    request,
                    _("You already reminded %(name)s today. You can remind them again tomorrow.")
                    % {"name": learner.full_name},
                )
            else:
                messages.success(
                    request, _("A reminder was sent to %(name)s.") % {"name": learner.full_name}
                )
            return redirect(_safe_next(request, "feedback:list"))
    return render(
        request,
        "feedback/nudge.html",
        {"learner": learner, "form": form, "next": _safe_next(request, "")},
    )
