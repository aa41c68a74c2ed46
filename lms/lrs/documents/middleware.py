"""cmi5 auth tokens on every /xapi/ resource.

An assignable unit sends the token its fetch URL gave it as ``Authorization: Basic <token>``
(or ``Bearer <token>``). For the length of the request this middleware makes the launch's
learner the request's user, as if signed in (nothing is written to the session), and drops
the header, so every LRS resource treats the AU as that learner: their own statements and
documents only. The header, not a cookie, authenticates, so no CSRF token is asked for.
``request.cmi5_session`` lets the State resource hold the token to its launch's activity
and registration. A token that is wrong or expired is answered 401 here.
"""

from django.utils.translation import gettext as _

from lms.lrs.documents import selectors

XAPI_PREFIX = "/xapi/"


class Cmi5TokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.META.get("HTTP_AUTHORIZATION")
        if (
            header
            and request.path_info.startswith(XAPI_PREFIX)
            and selectors.is_cmi5_authorization(header)
        ):
            session = selectors.launch_session_for_authorization(header)
            if session is None or not session.learner.is_active:
                from lms.lrs.http import xapi_error

                response = xapi_error(
                    401,
                    _("The cmi5 token is wrong or its launch session has ended. Launch again."),
                )
                response["WWW-Authenticate"] = 'Basic realm="xapi"'
                return response
            del request.META["HTTP_AUTHORIZATION"]
            request.__dict__.pop("headers", None)
            request.user = session.learner.user
            request.cmi5_session = session
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)
