"""URLs of innovation competitions (mounted at /inovasi/)."""

from django.urls import path

from lms.innovation import views

app_name = "innovation"

urlpatterns = [
    path("", views.index, name="index"),
    path("kompetisi/<int:pk>/", views.competition_detail, name="competition"),
    path("usulan/<int:pk>/", views.proposal_detail, name="proposal"),
    path("usulan/<int:pk>/kirim/", views.proposal_submit, name="proposal-submit"),
    path("usulan/<int:pk>/anggota/", views.member_add, name="member-add"),
    path(
        "usulan/<int:pk>/anggota/<int:member_pk>/hapus/",
        views.member_remove,
        name="member-remove",
    ),
    path("usulan/<int:pk>/lampiran/", views.attachment_add, name="attachment-add"),
    path(
        "usulan/<int:pk>/lampiran/<int:attachment_pk>/hapus/",
        views.attachment_delete,
        name="attachment-delete",
    ),
    path("lampiran/<int:pk>/", views.attachment_download, name="attachment"),
    path("penilaian/", views.judging, name="judging"),
    path("penilaian/<int:pk>/", views.score, name="score"),
    path("hasil/<int:pk>/", views.results, name="results"),
    path("kota/<slug:slug>/", views.city_results, name="city-results"),
    path("pustaka/", views.library, name="library"),
    path("pustaka/<int:pk>/", views.library_detail, name="library-detail"),
    path("sertifikat/<int:pk>/unduh/", views.certificate_download, name="certificate-download"),
    path("sertifikat/v/<str:code>/", views.certificate_verify, name="certificate-verify"),
]
