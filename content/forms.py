"""The admin form for H5P packages: upload (or replace) the .h5p file, pick the collection."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.forms.collections import BaseCollectionMemberForm

from content.models import H5PPackage
from content.permissions import permission_policy
from content.validation import PackageRefused, validate_package


class H5PPackageForm(BaseCollectionMemberForm, WagtailAdminModelForm):
    permission_policy = permission_policy

    package_file = forms.FileField(
        label=_("H5P file"),
        required=False,
        help_text=_(
            "An .h5p file exported from the H5P editor. On an existing package, a new "
            "file replaces the old one; lessons keep working."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".h5p"}),
    )

    class Meta:
        model = H5PPackage
        fields = ["collection", "title", "status"]

    def __init__(self, *args, for_user=None, **kwargs):
        kwargs.setdefault("user", for_user)
        super().__init__(*args, for_user=for_user, **kwargs)
        if not self.instance.pk:
            self.fields["package_file"].required = True
            # Title and status come from h5p.json on upload.
            self.fields.pop("title", None)
            self.fields.pop("status", None)

    def clean_package_file(self):
        upload = self.cleaned_data.get("package_file")
        if not upload:
            return upload
        from content.services import _installed_libraries

        try:
            validate_package(upload, installed=_installed_libraries())
        except PackageRefused as error:
            raise forms.ValidationError(error.text, code=error.code) from None
        upload.seek(0)
        return upload
