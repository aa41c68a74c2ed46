"""Security headers: CSP (strict for the site, looser for the admins), nosniff, frames,
referrer."""

import base64
import hashlib
import re

import pytest
from django.conf import settings
from django.urls import reverse

from lms.security.csp import inline_script_hashes, project_template_dirs

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    result = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            result[words[0]] = words[1:]
    return result


class HeaderTests:
    def test_a_site_page_has_the_strict_policy_and_the_other_headers(self, client):
        response = client.get(reverse("login"))
        csp = directives(response["Content-Security-Policy"])
        assert csp["default-src"] == ["'self'"]
        assert "'unsafe-inline'" not in csp["script-src"]
        assert "'unsafe-eval'" not in csp["script-src"]
        assert csp["object-src"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'self'"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "SAMEORIGIN"
        assert response["Referrer-Policy"] == "same-origin"

    def test_the_wagtail_admin_gets_its_own_policy(self, client):
        response = client.get("/admin/login/")
        csp = directives(response["Content-Security-Policy"])
        assert "'unsafe-inline'" in csp["script-src"]
        assert csp["object-src"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'self'"]

    def test_a_nonce_used_by_a_template_appears_in_the_header(self, rf):
        from csp.middleware import CSPMiddleware  # noqa: F401  (the base of ours)
        from django.http import HttpResponse

        from lms.security.csp import SiteCSPMiddleware

        request = rf.get("/")
        middleware = SiteCSPMiddleware(lambda r: HttpResponse(f"<script nonce='{r.csp_nonce}'>"))
        middleware.process_request(request)
        response = middleware.process_response(request, middleware.get_response(request))
        nonce = re.search(r"nonce='([^']+)'", response.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]

    def test_a_response_with_its_own_policy_keeps_it(self, rf):
        from django.http import HttpResponse

        from lms.security.csp import SiteCSPMiddleware

        own = "default-src 'none'"
        request = rf.get("/h5p/play/x/")

        def view(r):
            response = HttpResponse("")
            response["Content-Security-Policy"] = own
            return response

        middleware = SiteCSPMiddleware(view)
        middleware.process_request(request)
        assert middleware.process_response(request, view(request))["Content-Security-Policy"] == own


class InlineScriptHashTests:
    def test_constant_inline_scripts_are_allowed_by_hash(self, tmp_path):
        body = "\n    console.log('hai');\n"
        (tmp_path / "a.html").write_text(
            f"<p>x</p><script>{body}</script>"
            "<script src='/static/x.js'></script>"
            "<script>var a = '{{ value }}';</script>"
            '<script type="application/json">{"a": 1}</script>'
        )
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert inline_script_hashes([tmp_path]) == [f"'sha256-{digest}'"]

    def test_the_projects_inline_scripts_are_in_the_policy(self):
        hashes = inline_script_hashes(project_template_dirs(settings.BASE_DIR))
        script_src = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"]
        assert hashes, "the export progress page has an inline script"
        assert set(hashes) <= set(script_src)
