"""The learner's privacy page (who looked at my records, download my data, ask for
deletion) and the public privacy notice. Thin: selectors read, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from lms.privacy import selectors, services
from lms.privacy.forms import DeletionRequestForm
from lms.records.selectors import learner_of

PAGE_SIZE = 50


def _no_profile(request):
    return render(request, "learning/no_profile.html", status=404)


@login_required
@require_safe
def my_privacy(request, form=None):
    """GET /privasi/: who saw my records (newest first, 50 a page), my data, deletion."""
    learner = learner_of(request.user)
    if learner is None:
        return _no_profile(request)
    page = Paginator(selectors.access_log_of(learner=learner), PAGE_SIZE).get_page(
        request.GET.get("p")
    )
    return render(
        request,
        "privacy/mine.html",
        {
            "page_obj": page,
            "learner": learner,
            "open_request": selectors.open_deletion_request(learner=learner),
            "requests": list(selectors.deletion_requests_of(learner=learner)[:5]),
            "form": form or DeletionRequestForm(),
        },
    )


@login_required
@require_safe
@never_cache
def my_data(request):
    """GET /privasi/unduh/: everything stored about me, as JSON and CSV in a ZIP."""
    learner = learner_of(request.user)
    if learner is None:
        return _no_profile(request)
    archive = selectors.learner_data_zip(learner=learner)
    stamp = timezone.localdate().isoformat()
    return FileResponse(
        archive,
        as_attachment=True,
        filename=f"data-saya-{stamp}.zip",
        content_type="application/zip",
    )


@login_required
@require_POST
def deletion_request(request):
    """POST /privasi/hapus/: ask the city's BKPSDM to delete my data."""
    learner = learner_of(request.user)
    if learner is None:
        return _no_profile(request)
    form = DeletionRequestForm(request.POST)
    if form.is_valid():
        try:
            services.deletion_request_create(learner=learner, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
    if not form.is_valid() or form.errors:
        request.method = "GET"
        response = my_privacy(request, form=form)
        response.status_code = 400
        return response
    messages.success(
        request,
        _("Your request was sent to your BKPSDM. You will see their decision on this page."),
    )
    return redirect("privacy:mine")


@require_safe
def notice(request):
    """GET /privasi/pemberitahuan/: the privacy notice (pemberitahuan privasi), public."""
    return render(request, "privacy/notice.html")
