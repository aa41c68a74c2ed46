"""Authentication with a NIP or an email address (or a staff username) plus password."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from lms.core import sql


def normalise_login(value: str) -> str:
    """What the learner typed, as we look it up: NIPs are often typed in groups
    ("19860926 201505 1 001"), so a login of digits and spaces loses the spaces."""
    login = (value or "").strip()
    compact = login.replace(" ", "")
    return compact if compact.isdigit() else login


def users_matching_login(login: str) -> list:
    """At most two users whose username, NIP or email (any case) is this login."""
    return list(
        get_user_model()
        .objects.filter(Q(username=login) | Q(profile__nip=login) | Q(email__iexact=login))
        .distinct()[:2]
    )


class NipOrEmailBackend(ModelBackend):
    """Learners type whatever they remember: their 18-digit NIP or their email."""

    def get_user(self, user_id):
        # Every signed-in request loads its user: ModelBackend.get_user's query, with
        # SQL built once instead of compiled per request (see lms.core.sql).
        user = sql.by_pk(get_user_model(), user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        candidates = users_matching_login(normalise_login(username))
        if len(candidates) != 1:
            # Unknown, or ambiguous: run the hasher anyway so timing does not reveal which.
            User().set_password(password)
            return None
        user = candidates[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
