from django.urls import path

from lms.feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.feedback_list, name="list"),
    path("<int:thread_id>/", views.thread_detail, name="thread"),
    path("tulis/<int:learner_profile_id>/", views.feedback_write, name="write"),
    path("ingatkan/<int:learner_profile_id>/", views.nudge, name="nudge"),
]
