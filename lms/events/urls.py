from django.urls import path

from lms.events import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("kalender/", views.event_month, name="month"),
    path("persetujuan/", views.approvals, name="approvals"),
    path("persetujuan/<int:pk>/", views.approval_decide, name="decide"),
    path("ics/baru/", views.feed_reset, name="feed-reset"),
    path("ics/<str:token>.ics", views.feed, name="feed"),
    path("sesi/<uuid:key>/presensi/", views.attendance_sheet, name="sheet"),
    path("sesi/<uuid:key>/qr/", views.session_qr, name="qr"),
    path("<uuid:key>/", views.event_detail, name="detail"),
    path("<uuid:key>/daftar/", views.event_register, name="register"),
    path("<uuid:key>/batal/", views.event_cancel, name="cancel"),
    path("<uuid:key>/hadir/", views.event_checkin, name="checkin"),
    path("<uuid:key>/kelola/", views.organise, name="organise"),
]
