"""A short middleware chain for the device API.

Phones poll for commands and report locations far more often than people load pages, and they
authenticate with a token: sessions, CSRF, messages, the browser key, the account's language
and standing, the idle timeout and allauth's middleware have nothing to do for them. First in
`MIDDLEWARE`, `LeanPathsMiddleware` hands a request whose path starts with one of
`LEAN_PATHS` to a chain of its own, built from the stateless middleware of `MIDDLEWARE` (in the
same order), and every other request to the full chain.

Why it stays: it wins on the empty command poll and the location report against the full chain
(bench/README.md, "Home-made parts against Django's").
"""

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.utils.module_loading import import_string

# Middleware that keeps no state between requests and reads no cookie: what a token-bearing
# client still gets (the request id in logs, security headers, the language of its errors).
STATELESS_MIDDLEWARE = (
    "config.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)


class _Chain(BaseHandler):
    """A request handler with its own middleware, reached from inside the full chain (so URL
    resolution, views and the error pages are the site's own)."""

    def __init__(self, middleware: list[str]) -> None:
        self._view_middleware: list = []
        self._template_response_middleware: list = []
        self._exception_middleware: list = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(middleware):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler


class LeanPathsMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.prefixes = tuple(settings.LEAN_PATHS)
        self.exempt = tuple(settings.LEAN_PATHS_EXCEPT)
        self.lean = _Chain([path for path in settings.MIDDLEWARE if path in STATELESS_MIDDLEWARE])

    def __call__(self, request):
        path = request.path_info
        if path.startswith(self.prefixes) and not path.startswith(self.exempt):
            return self.lean._middleware_chain(request)
        return self.get_response(request)
