from django.urls import path

from lms.security import views

app_name = "security"

urlpatterns = [
    path("verifikasi/", views.otp_verify, name="otp-verify"),
    path("dua-langkah/", views.otp_setup, name="otp-setup"),
]
