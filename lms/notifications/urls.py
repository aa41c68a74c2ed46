from django.urls import path

from lms.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:notification_id>/baca/", views.notification_open, name="open"),
    path("pengaturan/", views.preferences, name="preferences"),
]
