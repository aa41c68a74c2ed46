"""The address a request came from, as far as it can be trusted."""

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or the address the trusted reverse proxies saw.

    Behind N proxies (SECURITY_TRUSTED_PROXY_COUNT) the client is the Nth address from the
    right of X-Forwarded-For: everything left of it was written by the client and can be
    forged. Without a configured proxy the header is ignored for the same reason.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = getattr(settings, "SECURITY_TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return remote


def axes_client_ip(request) -> str:
    """AXES_CLIENT_IP_CALLABLE: axes logs the same address the rate limits use."""
    return client_ip(request)
