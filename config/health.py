"""Health endpoints for load balancers and orchestrators: /healthz (the process answers) and
/readyz (the database, the cache and the broker answer; 503 naming what does not); and the
headers of static files."""

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


class HealthMiddleware:
    """First in the chain: load balancers and orchestrators probe by IP address and over plain
    HTTP, so the probes answer before host validation and the HTTPS redirect."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        if request.path == "/readyz":
            return readyz(request)
        return self.get_response(request)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("readyz", "1", timeout=10)
    if cache.get("readyz") != "1":
        raise RuntimeError("the cache did not keep a value")


def _broker() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database, "cache": _cache, "broker": _broker}
    results = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as error:  # any failure makes the part "down", named with its error
            results[name] = f"down: {type(error).__name__}"
        else:
            results[name] = "ok"
    ready = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", **results}, status=200 if ready else 503
    )


def static_headers(headers, path: str, url: str) -> None:
    """Static files, served by whitenoise before the rest of the middleware, get the same
    framing and sniffing rules as pages."""
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
