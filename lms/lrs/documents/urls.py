"""URLs of the xAPI document resources (mounted at /xapi/, before lms.records.urls so that
``activities/state`` is served here; session requests of the H5P player are handed on to
lms.records' view)."""

from django.urls import path

from lms.lrs.documents import views

app_name = "lrs_documents"

urlpatterns = [
    path("about", views.about, name="about"),
    path("activities/state", views.state, name="state"),
    path("activities/profile", views.activity_profile, name="activity_profile"),
    path("activities", views.activities, name="activities"),
    path("agents/profile", views.agent_profile, name="agent_profile"),
    path("agents", views.agents, name="agents"),
    path("cmi5/fetch/<uuid:session_id>", views.cmi5_fetch, name="cmi5_fetch"),
]
