"""Error answers in the form the caller reads: JSON for API clients, HTML for people."""

from django.http import JsonResponse

JSON_PREFIXES = ("/xapi/", "/api/")


def wants_json(request) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    return (
        request.path_info.startswith(JSON_PREFIXES)
        or "application/json" in accept
        or request.META.get("HTTP_X_REQUESTED_WITH") == "XMLHttpRequest"
        or request.content_type == "application/json"
    )


def json_error(message: str, *, status: int, code: str, retry_after: int | None = None):
    response = JsonResponse({"error": str(message), "code": code}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
