"""Passwords, tokens and NIPs never reach the logs."""

import logging

import pytest

from lms.security.logfilter import SensitiveDataFilter, mask_sensitive


class MaskTests:
    @pytest.mark.parametrize(
        ("text", "secret"),
        [
            ("POST /akun/masuk/?password=rahasia123&next=/", "rahasia123"),
            ('{"username": "budi", "password": "rahasia123"}', "rahasia123"),
            ("csrfmiddlewaretoken=Zx81abcdefgh&x=1", "Zx81abcdefgh"),
            ("Authorization: Bearer abcdefghijklmnop123", "abcdefghijklmnop123"),
            ("Not Found: /akun/sandi-baru/MTI/c5x-0f2a9b7e/", "c5x-0f2a9b7e"),
            ("GET /h5p/files/eyJhIjoxfQ:1t:sig/h5p.json", "eyJhIjoxfQ:1t:sig"),
            ("learner 198609262015051001 logged in", "198609262015051001"),
            ("learner 19860926 201505 1 001 logged in", "19860926 201505 1 001"),
        ],
    )
    def test_secrets_are_masked(self, text, secret):
        masked = mask_sensitive(text)
        assert secret not in masked
        assert "[disaring]" in masked or "[NIP]" in masked

    def test_ordinary_text_and_longer_numbers_are_kept(self):
        text = "GET /kuis/12/ 200 in 35 ms; order 1234567890123456789012"
        assert mask_sensitive(text) == text


class FilterTests:
    def test_the_filter_masks_formatted_arguments(self):
        record = logging.LogRecord(
            "django.request",
            logging.WARNING,
            __file__,
            1,
            "Not Found: %s",
            ("/x?token=abc123",),
            None,
        )
        assert SensitiveDataFilter().filter(record) is True
        assert record.getMessage() == "Not Found: /x?token=[disaring]"

    def test_the_console_handler_of_the_settings_uses_it(self, settings):
        assert "mask_sensitive" in settings.LOGGING["handlers"]["console"]["filters"]

    def test_a_real_request_log_is_masked(self, client, caplog, db):
        caplog.handler.addFilter(SensitiveDataFilter())
        with caplog.at_level(logging.WARNING, logger="django.request"):
            client.get("/akun/sandi-baru/MTI/c5x-0f2a9b7e/tidak-ada/?password=rahasia123")
        assert caplog.records, "a 404 is logged"
        assert "rahasia123" not in caplog.text
        assert "c5x-0f2a9b7e" not in caplog.text
