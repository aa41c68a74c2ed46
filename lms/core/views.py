import logging

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lms.core.health import check_database, check_storage

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers: 200 when the database and storage answer, else 503."""
    checks = {"database": check_database(), "storage": check_storage()}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )


@login_required
def my_curriculum(request):
    """Where a learner lands after logging in: their own city's curriculum."""
    from courses.selectors import curriculum_page_for_user

    page = curriculum_page_for_user(request.user)
    if page is not None:
        return redirect(page.url)
    if request.user.has_perm("wagtailadmin.access_admin"):
        return redirect("wagtailadmin_home")
    return render(request, "core/no_curriculum.html", status=200)
