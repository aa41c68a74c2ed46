"""Wagtail admin wiring for learning records: the city admins' enrolment-rules screen and
their certificates screen (search, revoke)."""

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.records.admin_views import (
    EnrolmentRulesView,
    can_manage_rules,
    enrolment_rule_deactivate,
)
from lms.records.certificate_views import (
    CertificateRevokeView,
    CertificateSearchView,
    can_revoke_certificates,
)


class EnrolmentRulesMenuItem(MenuItem):
    def is_shown(self, request):
        return can_manage_rules(request.user)


@hooks.register("register_admin_urls")
def register_enrolment_rule_urls():
    return [
        path("pendaftaran/aturan/", EnrolmentRulesView.as_view(), name="records_enrolment_rules"),
        path(
            "pendaftaran/aturan/<int:pk>/hentikan/",
            enrolment_rule_deactivate,
            name="records_enrolment_rule_deactivate",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_enrolment_rules_menu_item():
    return EnrolmentRulesMenuItem(
        _("Enrolment rules"),
        reverse_lazy("records_enrolment_rules"),
        name="enrolment-rules",
        icon_name="group",
        order=360,
    )


# --- certificates: city admins find and revoke their city's certificates ------


class CertificatesMenuItem(MenuItem):
    def is_shown(self, request):
        return can_revoke_certificates(request.user)


@hooks.register("register_admin_urls")
def register_certificate_urls():
    return [
        path("sertifikat/", CertificateSearchView.as_view(), name="records_certificates"),
        path(
            "sertifikat/<int:pk>/cabut/",
            CertificateRevokeView.as_view(),
            name="records_certificate_revoke",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_certificates_menu_item():
    return CertificatesMenuItem(
        _("Certificates"),
        reverse_lazy("records_certificates"),
        name="certificates",
        icon_name="doc-full",
        order=370,
    )
