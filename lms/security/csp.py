"""Content-Security-Policy (django-csp): strict for the site, looser where it must be.

- The site's own pages run only scripts from our origin, inline scripts carrying the
  request's nonce, and the few inline scripts in our templates that have no template
  variable (allowed by their hash, computed from the templates at start-up, so editing
  one cannot silently break it).
- The Wagtail and Django admins (staff only, behind login and optional two-factor) need
  'unsafe-inline' scripts: Wagtail's widgets and inline panels write inline scripts
  with per-form values that no hash can cover.
- The H5P player page and package files set their own, stricter policy
  (content.views.player_csp); a response that already has the header keeps it.
"""

import base64
import hashlib
import re
from pathlib import Path

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)


def inline_script_hashes(template_dirs) -> list[str]:
    """CSP hash sources for every constant inline <script> in these template folders."""
    sources = set()
    for folder in template_dirs:
        for path in sorted(Path(folder).rglob("*.html")):
            for match in _SCRIPT.finditer(path.read_text(encoding="utf-8")):
                attrs, body = match.group("attrs"), match.group("body")
                if "src=" in attrs or "json" in attrs or "nonce" in attrs or not body.strip():
                    continue
                if "{{" in body or "{%" in body:
                    continue  # rendered differently each time: needs the nonce instead
                digest = hashlib.sha256(body.encode("utf-8")).digest()
                sources.add(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return sorted(sources)


def project_template_dirs(base_dir: Path) -> list[Path]:
    dirs = [base_dir / "lms" / "templates"]
    for root in ("lms", "courses", "content"):
        dirs += sorted(p for p in (base_dir / root).glob("**/templates") if p.is_dir())
    return list(dict.fromkeys(dirs))


class SiteCSPMiddleware(CSPMiddleware):
    """django-csp's middleware with the admins' policy for their URL prefixes."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only:
            return parts
        prefixes = tuple(getattr(settings, "SECURITY_CSP_ADMIN_PREFIXES", ()))
        if prefixes and request.path_info.startswith(prefixes):
            return PolicyParts(config=settings.SECURITY_CSP_ADMIN_DIRECTIVES, nonce=None)
        return parts
