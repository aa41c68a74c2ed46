"""URLs of certificates (mounted at /sertifikat/): the public verification page the QR
code links to, and the learner's list, PDF download and yearly ZIP."""

from django.urls import path

from lms.records import certificate_views as views

app_name = "certificates"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("v/<str:code>/", views.verify, name="verify"),
    path("<int:pk>/unduh/", views.download, name="download"),
    path("zip/<int:year>/", views.zip_year, name="zip"),
]
