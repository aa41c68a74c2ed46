"""API tokens: created and revoked by city and national admins (service and Wagtail admin
screens), the secret shown once and stored only as a hash, other cities' tokens refused."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from lms.api import tokens
from lms.api.models import ApiToken
from tests.factories import city_admin, trainer
from tests.lms.api.conftest import get

pytestmark = pytest.mark.django_db


class TokenServiceTests:
    def test_the_secret_is_returned_once_and_only_its_hash_is_stored(self, world, jakarta_admin):
        issued = tokens.token_create(by=jakarta_admin, name="SIMPEG", city=world.jakarta)
        token = ApiToken.objects.get()
        assert issued.secret.startswith(f"asn_{token.prefix}_")
        assert issued.secret not in {token.secret_hash, token.prefix, token.name}
        assert token.scopes == ["read"]
        assert token.created_by == jakarta_admin
        assert tokens.token_authenticate(issued.secret) == token

    def test_the_write_scope_only_when_granted(self, world, jakarta_admin):
        tokens.token_create(
            by=jakarta_admin, name="x", city=world.jakarta, can_write_enrolments=True
        )
        assert ApiToken.objects.get().scopes == ["read", "enrolments:write"]

    def test_a_city_admin_needs_a_city_and_their_own(self, world, jakarta_admin):
        with pytest.raises(ValidationError):
            tokens.token_create(by=jakarta_admin, name="x", city=None)
        with pytest.raises(PermissionDenied):
            tokens.token_create(by=jakarta_admin, name="x", city=world.sorong)
        with pytest.raises(PermissionDenied):
            tokens.token_create(by=trainer(world.jakarta), name="x", city=world.jakarta)
        assert not ApiToken.objects.exists()

    def test_a_national_admin_may_create_a_token_for_all_cities(self, world, national):
        tokens.token_create(by=national, name="Nasional", city=None)
        assert ApiToken.objects.get().city is None

    def test_an_empty_name_is_refused(self, world, jakarta_admin):
        with pytest.raises(ValidationError):
            tokens.token_create(by=jakarta_admin, name="  ", city=world.jakarta)

    def test_another_citys_admin_cannot_revoke(self, world, jakarta_admin, sorong_admin):
        issued = tokens.token_create(by=jakarta_admin, name="x", city=world.jakarta)
        with pytest.raises(PermissionDenied):
            tokens.token_revoke(by=sorong_admin, token=issued.token)
        issued.token.refresh_from_db()
        assert issued.token.revoked_at is None

    def test_revoking_twice_keeps_the_first_time(self, world, jakarta_admin):
        issued = tokens.token_create(by=jakarta_admin, name="x", city=world.jakarta)
        first = tokens.token_revoke(by=jakarta_admin, token=issued.token).revoked_at
        again = tokens.token_revoke(by=jakarta_admin, token=ApiToken.objects.get())
        assert again.revoked_at == first
        assert tokens.token_authenticate(issued.secret) is None


class TokenAdminTests:
    def test_a_city_admin_creates_a_token_and_sees_the_secret_once(
        self, client, world, jakarta_admin
    ):
        client.force_login(jakarta_admin)
        response = client.post(
            reverse("api_token_create"),
            {"name": "SIMPEG Jakarta", "city": world.jakarta.pk, "can_write_enrolments": "on"},
        )
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        secret = response.context["issued"].secret
        assert secret in response.content.decode()
        token = ApiToken.objects.get()
        assert token.city == world.jakarta and token.can_write_enrolments
        listing = client.get(reverse("api_tokens")).content.decode()
        assert "SIMPEG Jakarta" in listing and token.prefix in listing
        assert secret not in listing
        client.logout()
        assert get(client, "/cities", secret).status_code == 200

    def test_a_city_admin_lists_only_their_citys_tokens(
        self, client, world, jakarta_admin, sorong_admin
    ):
        tokens.token_create(by=jakarta_admin, name="Token Jakarta", city=world.jakarta)
        tokens.token_create(by=sorong_admin, name="Token Sorong", city=world.sorong)
        client.force_login(jakarta_admin)
        listing = client.get(reverse("api_tokens")).content.decode()
        assert "Token Jakarta" in listing and "Token Sorong" not in listing

    def test_another_citys_token_cannot_be_revoked_on_screen(
        self, client, world, jakarta_admin, sorong_admin
    ):
        issued = tokens.token_create(by=sorong_admin, name="Token Sorong", city=world.sorong)
        client.force_login(jakarta_admin)
        url = reverse("api_token_revoke", args=[issued.token.pk])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
        issued.token.refresh_from_db()
        assert issued.token.revoked_at is None

    def test_revoking_on_screen_stops_the_token(self, client, world, jakarta_admin):
        issued = tokens.token_create(by=jakarta_admin, name="x", city=world.jakarta)
        client.force_login(jakarta_admin)
        response = client.post(reverse("api_token_revoke", args=[issued.token.pk]))
        assert response.status_code == 302
        client.logout()
        assert get(client, "/cities", issued.secret).status_code == 401

    def test_a_city_admin_cannot_pick_another_city_or_all_cities(
        self, client, world, jakarta_admin
    ):
        client.force_login(jakarta_admin)
        for city in (world.sorong.pk, ""):
            response = client.post(reverse("api_token_create"), {"name": "x", "city": city})
            assert response.status_code == 200
            assert response.context["form"].errors["city"]
        assert not ApiToken.objects.exists()

    def test_national_admin_may_choose_all_cities(self, client, world, national):
        client.force_login(national)
        response = client.post(reverse("api_token_create"), {"name": "Nasional", "city": ""})
        assert response.status_code == 200 and "issued" in response.context
        assert ApiToken.objects.get().city is None

    def test_learners_and_trainers_have_no_token_screens(self, client, world):
        client.force_login(trainer(world.jakarta))
        assert client.get(reverse("api_tokens")).status_code in (302, 403)
        client.force_login(world.learner.user)
        assert client.get(reverse("api_tokens")).status_code in (302, 403)

    def test_menu_item_for_admins_only(self, client, world):
        client.force_login(city_admin(world.jakarta))
        assert reverse("api_tokens") in client.get(reverse("wagtailadmin_home")).content.decode()
