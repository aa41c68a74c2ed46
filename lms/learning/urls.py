from django.urls import path

from lms.learning import views

app_name = "learning"

urlpatterns = [
    path("beranda/", views.home, name="home"),
    path("tim-saya/", views.team, name="team"),
    path("tim-saya/<int:profile_id>/", views.team_member, name="team-member"),
]
