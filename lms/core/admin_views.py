"""Building blocks for the platform's own Wagtail admin screens."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin


class UserFormAdminView(WagtailAdminTemplateMixin, FormView):
    """A one-screen admin form, open to whoever ``allowed(user)`` admits.

    The form receives the user, because what it may offer (cities, agencies, courses)
    depends on the viewer's role; the screen is its own last breadcrumb.
    """

    allowed: Callable = staticmethod(lambda user: False)

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}
