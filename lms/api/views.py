"""The API's human documentation page (/api/docs): Swagger UI from django-ninja's own
static files (no CDN: many offices have no reliable internet route to one)."""

from django.views.decorators.http import require_GET
from ninja.openapi.views import openapi_view

from lms.api.api import api


@require_GET
def docs(request):
    return openapi_view(request, api=api)
