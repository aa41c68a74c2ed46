"""A signed-in learner on the State resource: the H5P player's requests still reach
lms.records' view; requests with an agent use the full resource, their own only, with
the CSRF token."""

import pytest
from django.conf import settings
from django.test import Client

from lms.lrs.documents.models import XapiDocument
from lms.records.models import ActivityState
from tests.factories import PASSWORD

from .conftest import ACTIVITY, VERSION, agent_of, url

pytestmark = pytest.mark.django_db
CSRF_SECRET = "a" * 32


@pytest.fixture
def session(world):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=world.learner.nip, password=PASSWORD)
    # The CSRF cookie as a page of the site would have set it.
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return client


def csrf(client) -> dict:
    return {"HTTP_X_CSRFTOKEN": CSRF_SECRET}


class SessionStateTests:
    def test_own_document_with_agent_and_csrf(self, session, world):
        address = url(
            "activities/state", activityId=ACTIVITY, agent=agent_of(world.learner), stateId="s"
        )

        response = session.put(
            address, data='{"a": 1}', content_type="application/json", **VERSION, **csrf(session)
        )

        assert response.status_code == 204, response.content
        assert XapiDocument.objects.filter(learner=world.learner).count() == 1
        assert not ActivityState.objects.exists()
        assert session.get(address, **VERSION).json() == {"a": 1}

    def test_without_csrf_token_is_refused(self, session, world):
        address = url(
            "activities/state", activityId=ACTIVITY, agent=agent_of(world.learner), stateId="s"
        )

        response = session.put(address, data='{"a": 1}', content_type="application/json", **VERSION)

        assert response.status_code == 403
        assert not XapiDocument.objects.exists()

    def test_another_learners_document_is_refused(self, session, world):
        address = url(
            "activities/state",
            activityId=ACTIVITY,
            agent=agent_of(world.sorong_learner),
            stateId="s",
        )

        response = session.get(address, **VERSION)

        assert response.status_code == 403
