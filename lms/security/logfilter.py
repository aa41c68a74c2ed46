"""A logging filter that keeps passwords, tokens and NIPs out of the logs.

Request logs quote paths and query strings (django.request's "Not Found: /path?..."),
and a careless log line may quote a form. Every record passing a handler with this
filter has such values replaced before it is written anywhere.
"""

import logging
import re

MASK = "[disaring]"

_SECRET_NAMES = (
    r"password\d?|new_password\d?|old_password|passwd|sandi|token|secret|api[_-]?key|"
    r"csrfmiddlewaretoken|csrftoken|sessionid|authorization|launch|otp"
)
_PATTERNS = [
    # key=value in query strings and form dumps
    (re.compile(rf"(?i)\b({_SECRET_NAMES})=([^&\s'\"]+)"), rf"\1={MASK}"),
    # "key": "value" / 'key': 'value' in JSON and dict reprs
    (
        re.compile(rf"(?i)([\"']({_SECRET_NAMES})[\"']\s*:\s*)([\"'])[^\"']*\3"),
        rf"\1\3{MASK}\3",
    ),
    # Authorization headers
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {MASK}"),
    # password-reset links /akun/sandi-baru/<uid>/<token>/ and signed H5P file paths
    (re.compile(r"(/sandi-baru/)[^/\s]+/[^/\s]+"), rf"\1{MASK}/{MASK}"),
    (re.compile(r"(/h5p/files/)[^/\s]+"), rf"\1{MASK}"),
    # an 18-digit NIP (not part of a longer number)
    (re.compile(r"(?<!\d)\d{8}\s?\d{6}\s?\d\s?\d{3}(?!\d)"), "[NIP]"),
]


def mask_sensitive(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SensitiveDataFilter(logging.Filter):
    """Rewrites the record's message with secrets masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not ours
            return True
        masked = mask_sensitive(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        return True
