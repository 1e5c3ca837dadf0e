"""Chromium (Debian's, driven by Playwright) against the live portal and a real Celery worker."""

import os
import re

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_FLAGS
from tests.browser.pages import ARTIFACTS

# Playwright's sync API keeps an event loop in the main thread; the ORM calls the tests make
# there are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def portal(browser, live_server, celery_worker, settings, request):
    """A fresh browser context on the live portal in development mode (the dev outbox on)."""
    settings.DEBUG = True
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w-]", "_", request.node.name)
    page.screenshot(path=str(ARTIFACTS / f"{name}-last.png"), full_page=True)
    context.close()
