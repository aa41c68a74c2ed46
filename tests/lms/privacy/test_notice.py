import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


class PrivacyNoticeTests:
    def test_public_and_linked_from_the_login_page(self, client):
        response = client.get(reverse("privacy:notice"))
        assert response.status_code == 200
        assert "Law No. 27 of 2022" in response.content.decode()
        login = client.get(reverse("login")).content.decode()
        assert reverse("privacy:notice") in login
