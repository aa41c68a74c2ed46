"""Who is calling the API: a signed-in web user (their session) or an integration (a
bearer token). Both end as a `Caller`, which answers the permission questions the
endpoints ask, with the same rules as the web pages (lms.people.permissions)."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from lms.api import tokens
from lms.api.models import ApiToken
from lms.people import permissions
from lms.people.models import City


class TokenAuth(HttpBearer):
    """`Authorization: Bearer asn_<prefix>_<secret>`. A bearer value that names no live
    token is refused at once (401), even if the request also carries a session."""

    def authenticate(self, request, token: str):
        found = tokens.token_authenticate(token)
        if found is None:
            raise AuthenticationError(
                401,
                _(
                    "The API token is unknown or has been revoked. Ask your BKPSDM admin "
                    "for a new token."
                ),
            )
        return Caller(user=found.created_by, token=found)


class SessionAuth(APIKeyCookie):
    """The web session. Unsafe methods also need the CSRF token (X-CSRFToken), as forms
    on the site do."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request):
        # Without a signed-in user there is nothing to check: answer 401, not a CSRF 403.
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def _get_key(self, request):
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request):
            raise HttpError(
                403,
                _(
                    "The CSRF token is missing or wrong. Send the csrftoken cookie's value "
                    "in the X-CSRFToken header, or use an API token."
                ),
            )
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        return Caller(user=request.user, token=None)


AUTH = [TokenAuth(), SessionAuth()]


@dataclass
class Caller:
    user: object  # the session's user, or the token's creator (who answers for the token)
    token: ApiToken | None

    @property
    def is_token(self) -> bool:
        return self.token is not None

    def _token_reaches(self, city: City) -> bool:
        return self.token.city_id is None or self.token.city_id == city.pk

    def city_ids(self) -> frozenset[int] | None:
        """Cities whose courses and curricula the caller reads; None = every city."""
        if self.is_token:
            return None if self.token.city_id is None else frozenset({self.token.city_id})
        roles = permissions.roles_of(self.user)
        return None if roles.national else roles.viewable_city_ids

    def may_see_city_report(self, city: City) -> bool:
        if self.is_token:
            return self._token_reaches(city)
        from lms.api.reports import may_see_city_dashboard

        return may_see_city_dashboard(self.user, city)

    def may_manage_city(self, city: City) -> bool:
        """Personal data of the city's learners (NIPs in the SIASN export) and writes."""
        if self.is_token:
            return self._token_reaches(city)
        return permissions.can_manage_city(self.user, city)

    def require_scope(self, scope: str) -> None:
        if self.is_token and scope not in self.token.scopes:
            raise HttpError(
                403,
                _(
                    "This API token may only read. Ask your BKPSDM admin for a token that "
                    "may assign courses."
                ),
            )
