"""URLs of the learner's quiz pages (mounted at /kuis/, namespace "quiz")."""

from django.urls import path

from lms.records import quiz_views

app_name = "quiz"

urlpatterns = [
    path("<uuid:quiz_key>/", quiz_views.launch, name="launch"),
    path("<uuid:quiz_key>/pelajaran/<uuid:lesson_key>/", quiz_views.start, name="start"),
    path("percobaan/<uuid:attempt_id>/", quiz_views.attempt, name="attempt"),
    path("percobaan/<uuid:attempt_id>/jawaban/", quiz_views.answer, name="answer"),
    path("percobaan/<uuid:attempt_id>/kirim/", quiz_views.submit, name="submit"),
    path("percobaan/<uuid:attempt_id>/hasil/", quiz_views.review, name="review"),
]
