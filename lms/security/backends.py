"""The lockout check in front of lms.people's NIP-or-email backend."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for logins that come through a web request.

    It must come first in AUTHENTICATION_BACKENDS: it logs no one in, it refuses a locked
    account before the password is even checked. Logins without a request (the test
    client's ``login()``, a shell) are not web attempts; axes would refuse them outright.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
