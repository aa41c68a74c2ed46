import pytest
from django.urls import reverse


@pytest.mark.django_db
class InterfaceLanguageTests:
    def test_indonesian_even_when_the_phone_asks_for_english(self, id_client):
        response = id_client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        html = response.content.decode()
        assert '<html lang="id">' in html
        assert "Gunakan NIP 18 digit atau alamat email Anda." in html
        assert response["Content-Language"] == "id"

    def test_the_switcher_changes_to_english_and_back(self, id_client):
        response = id_client.post(reverse("set_language"), {"language": "en", "next": "/"})
        assert response.status_code == 302
        html = id_client.get(reverse("login")).content.decode()
        assert '<html lang="en">' in html
        assert "Use your 18-digit NIP or your email address." in html

        id_client.post(reverse("set_language"), {"language": "id", "next": "/"})
        assert '<html lang="id">' in id_client.get(reverse("login")).content.decode()

    def test_an_unknown_language_cookie_falls_back_to_indonesian(self, id_client, settings):
        id_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
        assert '<html lang="id">' in id_client.get(reverse("login")).content.decode()
