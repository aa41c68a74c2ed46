"""URLs of the learning-record store (mounted at /xapi/).

``statements`` is the xAPI endpoint the browser posts to; the LRS issue completes it to
the full standard. ``activity_state`` is the part of the State resource the H5P player
uses for resume data. ``enrol`` and ``withdraw`` are the course page's buttons (POST).
"""

from django.urls import path

from lms.records import views

app_name = "records"

urlpatterns = [
    path("statements", views.statements, name="statements"),
    path("activities/state", views.activity_state, name="activity_state"),
    path("enrol/<uuid:course_key>/", views.enrol, name="enrol"),
    path("enrol/<uuid:course_key>/withdraw/", views.withdraw, name="withdraw"),
]
