"""The learning record store: the xAPI 1.0.3 endpoint at /xapi/ for external clients
(HTTP Basic with per-client credentials) and for the platform's own pages (the session)."""
