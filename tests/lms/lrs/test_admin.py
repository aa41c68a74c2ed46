"""The "xAPI clients" admin screens: a city admin creates clients for their city (the
secret shown once), deactivates them; other cities' clients are not found."""

from django.urls import reverse

from lms.lrs.models import XapiClient
from tests.factories import LearnerFactory, city_admin
from tests.lms.lrs.conftest import make_client


class ClientAdminTests:
    def test_a_city_admin_creates_a_client_and_sees_the_secret_once(self, client, city):
        client.force_login(city_admin(city))
        response = client.post(
            reverse("lrs_client_create"),
            {"name": "Articulate", "city": city.pk, "can_write": "on"},
        )
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        created = XapiClient.objects.get()
        html = response.content.decode()
        secret = html.split("data-xapi-client-secret")[0].rsplit('value="', 1)[1].split('"')[0]
        assert created.check_secret(secret)
        assert created.city == city and created.can_write and not created.can_read
        listing = client.get(reverse("lrs_clients")).content.decode()
        assert created.key in listing
        assert secret not in listing

    def test_a_client_needs_a_scope(self, client, city):
        client.force_login(city_admin(city))
        response = client.post(reverse("lrs_client_create"), {"name": "X", "city": city.pk})
        assert response.status_code == 200
        assert not XapiClient.objects.exists()

    def test_a_city_admin_cannot_create_for_another_city(self, client, city, other_city):
        client.force_login(city_admin(city))
        client.post(
            reverse("lrs_client_create"),
            {"name": "X", "city": other_city.pk, "can_read": "on"},
        )
        assert not XapiClient.objects.exists()

    def test_another_citys_client_is_not_found_and_stays_active(self, client, city, other_city):
        theirs = make_client(city=other_city)
        client.force_login(city_admin(city))
        url = reverse("lrs_client_deactivate", args=[theirs.client.pk])
        assert client.post(url).status_code == 404
        assert XapiClient.objects.get(pk=theirs.client.pk).active
        assert theirs.key not in client.get(reverse("lrs_clients")).content.decode()

    def test_deactivating_refuses_the_client_at_once(self, client, city, lrs, writer):
        client.force_login(city_admin(city))
        response = client.post(reverse("lrs_client_deactivate", args=[writer.client.pk]))
        assert response.status_code == 302
        assert lrs.get().status_code == 401

    def test_a_learner_may_not_manage_clients(self, client, city):
        client.force_login(LearnerFactory(city=city).user)
        assert client.get(reverse("lrs_clients")).status_code in (302, 403)
