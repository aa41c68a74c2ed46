"""Admin wiring for H5P packages: a snippet viewset (list, upload, edit, delete) and its
chooser, narrowed per city through collection permissions (content.permissions)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views.snippets import (
    CreateView,
    DeleteView,
    EditView,
    IndexView,
    SnippetViewSet,
)

from content import services
from content.forms import H5PPackageForm
from content.models import H5PPackage
from content.permissions import permission_policy, visible_to_staff
from content.selectors import packages_choosable_by

register_permission_policy(H5PPackage, permission_policy)


def _city_of(collection):
    from lms.people.models import City

    return City.objects.filter(name=collection.name).first() if collection else None


class UploadPanel(FieldPanel):
    """Shows the form's .h5p upload field, which is not a model field."""

    def get_form_options(self):
        return {}


class H5PIndexView(IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .filter(pk__in=visible_to_staff(self.request.user).values("pk"))
        )


class H5PCreateView(CreateView):
    def save_instance(self):
        form = self.form
        collection = form.cleaned_data.get("collection")
        if collection is None:
            # The form hides the field when the user may add to one collection only.
            collection = form.collections.first()
        upload = form.cleaned_data["package_file"]
        return services.package_import(
            file=upload,
            filename=upload.name,
            city=_city_of(collection),
            collection=collection,
            user=self.request.user,
        )


class _InstanceChecked:
    permission_for_instance = "change"

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not permission_policy.user_has_permission_for_instance(
            self.request.user, self.permission_for_instance, obj
        ):
            raise PermissionDenied
        return obj


class H5PEditView(_InstanceChecked, EditView):
    def save_instance(self):
        form = self.form
        upload = form.cleaned_data.get("package_file")
        package = form.instance
        with transaction.atomic():
            package = services.package_update(
                package=package,
                title=form.cleaned_data.get("title"),
                status=form.cleaned_data.get("status"),
            )
            collection = form.cleaned_data.get("collection")
            if collection is not None and collection.pk != package.collection_id:
                package.collection = collection
                package.city = _city_of(collection)
                package.save(update_fields=["collection", "city", "updated_at"])
        if upload:
            package = services.package_import(
                file=upload, filename=upload.name, replace=package, user=self.request.user
            )
        return package


class H5PDeleteView(_InstanceChecked, DeleteView):
    permission_for_instance = "delete"

    def delete_action(self):
        services.package_delete(package=self.object)


class _ChooserQuerysetMixin:
    def get_object_list(self):
        return (
            super()
            .get_object_list()
            .filter(pk__in=packages_choosable_by(self.request.user).values("pk"))
        )


class H5PChooseView(_ChooserQuerysetMixin, snippet_chooser.ChooseView):
    # Uploading happens on the package screen, where the file is validated.
    creation_form_class = None


class H5PChooseResultsView(_ChooserQuerysetMixin, snippet_chooser.ChooseResultsView):
    pass


class H5PChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    choose_view_class = H5PChooseView
    choose_results_view_class = H5PChooseResultsView


class H5PPackageViewSet(SnippetViewSet):
    model = H5PPackage
    icon = "pick"
    menu_label = _("H5P packages")
    menu_order = 300
    add_to_admin_menu = True
    edit_handler = ObjectList(
        [
            UploadPanel("package_file"),
            FieldPanel("collection"),
            FieldPanel("title"),
            FieldPanel("status"),
        ],
        base_form_class=H5PPackageForm,
    )
    list_display = ["title", "main_library", "city", "status", "updated_at"]
    list_filter = ["status", "city"]
    search_fields = ["title"]
    index_view_class = H5PIndexView
    add_view_class = H5PCreateView
    edit_view_class = H5PEditView
    delete_view_class = H5PDeleteView
    chooser_viewset_class = H5PChooserViewSet
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = [
        "title",
        "content_id",
        "main_library",
        "language",
        "city",
        "collection",
        "status",
        "size_bytes",
        "file_count",
        "storage_path",
        "uploaded_by",
        "created_at",
        "updated_at",
    ]


register_snippet(H5PPackageViewSet)
