"""Learner home (Beranda) and the supervisor's team (Tim Saya). Thin: the selectors
compose the pages, lms.people.permissions decides who sees whom."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from lms.learning import selectors
from lms.learning.forms import TeamQueryForm
from lms.people.selectors import has_staff
from lms.privacy.services import access_log_record
from lms.records.selectors import learner_of

# What the team pages' feedback forms send as the topic of a feedback thread
# (lms.feedback's FeedbackThread.TopicKind).
TOPIC_GENERAL = "general"
TOPIC_COURSE = "course"
TOPIC_QUIZ = "quiz_attempt"


def _refused(request, message: str):
    return render(request, "learning/refused.html", {"message": message}, status=403)


@login_required
@require_GET
def home(request):
    learner = learner_of(request.user)
    if learner is None:
        # Staff accounts (admins, trainers) have no learning record of their own.
        return render(request, "learning/no_profile.html")
    is_supervisor = has_staff(profile=learner)
    selectors.refresh_supervisor_flag(request, is_supervisor)
    home_page = selectors.home_for(learner=learner, request=request)
    return render(
        request,
        "learning/home.html",
        {"home": home_page, "is_supervisor": is_supervisor},
    )


def _supervisor(request):
    """The viewer's profile when they supervise someone, else None (and the menu flag
    follows what we found)."""
    profile = learner_of(request.user)
    supervises = profile is not None and has_staff(profile=profile)
    selectors.refresh_supervisor_flag(request, supervises)
    return profile if supervises else None


NOT_A_SUPERVISOR = gettext_lazy(
    "This page is for supervisors (atasan): nobody is registered as your staff. If that is "
    "wrong, ask your BKPSDM to set you as supervisor in their staff records."
)


@login_required
@require_GET
def team(request):
    supervisor = _supervisor(request)
    if supervisor is None:
        return _refused(request, NOT_A_SUPERVISOR)
    form = TeamQueryForm(request.GET)
    # Unknown or malformed parameters fall back to the defaults: a list, never an error.
    query = form.cleaned_data if form.is_valid() else TeamQueryForm.defaults()
    page = selectors.team_page(
        viewer=request.user,
        supervisor=supervisor,
        indirect=query["indirect"],
        sort=query["sort"],
        behind_only=query["behind"],
        overdue_only=query["overdue"],
    )
    access_log_record(
        request=request, learners=[line.row.profile for line in page.lines], action="list"
    )
    return render(
        request,
        "learning/team.html",
        {
            "team": page,
            "query": query,
            "topic_general": TOPIC_GENERAL,
            "sort_links": _sort_links(request, page),
        },
    )


def _sort_links(request, page) -> list[dict]:
    """Column headers: clicking the current sort reverses it."""
    labels = {
        "name": _("Name"),
        "jp": _("JP this year"),
        "overdue": _("Overdue"),
        "activity": _("Last activity"),
    }
    links = []
    for name, label in labels.items():
        params = request.GET.copy()
        current = page.sort == name
        params["sort"] = f"-{name}" if current and not page.descending else name
        links.append(
            {
                "name": name,
                "label": label,
                "url": f"?{params.urlencode()}",
                "current": current,
                "descending": current and page.descending,
            }
        )
    return links


@login_required
@require_GET
def team_member(request, profile_id: int):
    supervisor = _supervisor(request)
    if supervisor is None:
        return _refused(request, NOT_A_SUPERVISOR)
    page = selectors.member_page(
        viewer=request.user, supervisor=supervisor, profile_id=profile_id, request=request
    )
    if page is None:
        return _refused(
            request,
            _(
                "This person is not on your team, so you cannot see their learning. "
                "Go back to your team list to choose one of your staff."
            ),
        )
    access_log_record(request=request, learners=[page.line.row.profile])
    return render(
        request,
        "learning/team_member.html",
        {
            "member": page,
            "line": page.line,
            "home": page.home,
            "topic_general": TOPIC_GENERAL,
            "topic_course": TOPIC_COURSE,
            "topic_quiz": TOPIC_QUIZ,
        },
    )
