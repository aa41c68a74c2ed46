from django.urls import path

from lms.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.my_privacy, name="mine"),
    path("unduh/", views.my_data, name="download"),
    path("hapus/", views.deletion_request, name="deletion-request"),
    path("pemberitahuan/", views.notice, name="notice"),
]
