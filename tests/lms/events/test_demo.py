"""The demo events load once, in every city."""

import pytest

from lms.events.demo import EVENTS, load_demo_events
from lms.events.models import Event, Partner

pytestmark = pytest.mark.django_db


class DemoEventsTests:
    def test_loads_every_city_once(self, city, other_city):
        assert load_demo_events() == 2 * len(EVENTS)
        assert load_demo_events() == 0
        assert Event.objects.filter(city=other_city).count() == len(EVENTS)
        assert Partner.objects.filter(city=city).count() == 2
        assert all(event.sessions.exists() for event in Event.objects.all())
