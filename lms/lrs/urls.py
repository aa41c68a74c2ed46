"""URLs of the LRS (mounted at /xapi/, before lms.records.urls)."""

from django.urls import path

from lms.lrs import views

app_name = "lrs"

urlpatterns = [
    path("statements", views.statements, name="statements"),
]
