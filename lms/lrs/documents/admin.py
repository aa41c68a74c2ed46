"""Read-only admin lists of xAPI documents and cmi5 launch sessions (for support: which
documents a client keeps, whether an AU fetched its token). They are written through the
LRS only."""

from django.contrib import admin

from lms.lrs.documents.models import LaunchSession, XapiDocument


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(XapiDocument)
class XapiDocumentAdmin(ReadOnlyAdmin):
    list_display = (
        "kind",
        "document_id",
        "agent_key",
        "city",
        "content_type",
        "size",
        "updated_at",
    )
    list_filter = ("kind", "city")
    search_fields = ("document_id", "agent_key")
    list_select_related = ("city",)
    exclude = ("body",)


@admin.register(LaunchSession)
class LaunchSessionAdmin(ReadOnlyAdmin):
    list_display = ("learner", "activity_id", "registration", "created_at", "fetched_at")
    list_select_related = ("learner",)
    search_fields = ("learner__nip", "activity_id")
    exclude = ("token_digest",)
