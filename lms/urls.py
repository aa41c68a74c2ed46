from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from lms.core import views as core_views
from lms.people import urls as people_urls

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("akun/", include(people_urls)),
    # two-factor login: verification after the password, and staff's own setup page
    path("akun/keamanan/", include("lms.security.urls")),
    path("xapi/", include("lms.lrs.urls")),
    path("xapi/", include("lms.lrs.documents.urls")),  # before records: activities/state
    path("xapi/", include("lms.records.urls")),
    path("h5p/", include("content.urls")),
    path("kuis/", include("lms.records.quiz_urls", namespace="quiz")),
    path("kurikulum-saya/", core_views.my_curriculum, name="my-curriculum"),
    # notifications and supervisor feedback
    path("notifikasi/", include("lms.notifications.urls")),
    path("umpan-balik/", include("lms.feedback.urls")),
    path("inovasi/", include("lms.innovation.urls")),  # innovation competitions
    path("acara/", include("lms.events.urls")),  # events: calendar, registration, check-in
    # beranda/ (learner home) and tim-saya/ (supervisor's team), before Wagtail's catch-all.
    path("", include("lms.learning.urls")),
    path("sertifikat/", include("lms.records.certificate_urls")),
    # REST API: /api/v1/ (schema /api/v1/openapi.json) and its docs page /api/docs
    path("api/", include("lms.api.urls")),
    # UU PDP: who saw my data, download my data, deletion requests, the privacy notice
    path("privasi/", include("lms.privacy.urls")),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves every other path from the page tree; it must come last.
urlpatterns += [path("", include(wagtail_urls))]

# A database or storage outage outside a view still answers 503, not 500.
handler500 = "lms.security.views.server_error"
