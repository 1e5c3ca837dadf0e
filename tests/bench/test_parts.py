"""The switches the bench measures the portal's own parts with (`STOCK_PARTS`, read in
config/settings/base.py; BENCH_COMPARE_PARTS=1 in bench/parts.py): each swaps its part for
Django's and nothing else, and the portal behaves the same with each stock part on."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from captcha.models import CaptchaStore
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from accounts.models import SecurityEvent, User
from bench import parts
from config.signing_keys import new_private_key
from devices.models import Device, Location
from tests.bench.test_bench import ROOT
from tests.helpers import GOOD_PASSWORD, sign_in

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# What the settings make of each part, the portal's and Django's.
READ = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "sessions": settings.SESSION_ENGINE,
    "cache": settings.CACHES["default"]["BACKEND"],
    "db": settings.DATABASES["default"]["ENGINE"],
    "middleware": settings.MIDDLEWARE,
    "renderer": settings.FORM_RENDERER,
    "sql": settings.STOCK_SQL,
}))
"""
OWN = {
    "sessions": "config.sessions",
    "cache": "config.cache.ResilientRedisCache",
    "db": "config.postgresql",
    "renderer": "config.renderers.FormRenderer",
    "sql": False,
}
STOCK = {
    "sessions": "django.contrib.sessions.backends.db",
    "cache": "django.core.cache.backends.redis.RedisCache",
    "db": "django.db.backends.postgresql",
    "renderer": "django.forms.renderers.TemplatesSetting",
    "sql": True,
}
LEAN = "config.lean.LeanPathsMiddleware"


def production_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    """The bench's settings (production's) read in a process of their own."""
    key = tmp_path / "oidc.pem"
    key.write_text(new_private_key())
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG"))}
    environment = keep | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "s" * 50,
        "ENCRYPTION_KEYS": "e" * 40,
        "OIDC_SIGNING_KEYS": str(key),
        "ALLOWED_HOSTS": "portal.test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/never_opened",
        "REDIS_URL": "redis://127.0.0.1:6379/7",
        "VAR_DIR": str(tmp_path),
        "CAPTCHA_TEST_MODE": "0",
        "SMS_BACKEND": "twilio",
        "EMAIL_DELIVERY": "smtp",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", READ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def read_parts(tmp_path, stock_parts: str) -> dict:
    answer = production_settings(tmp_path, STOCK_PARTS=stock_parts)
    assert answer.returncode == 0, answer.stderr[-3000:]
    return json.loads(answer.stdout)


def test_by_default_every_part_is_the_portals_own(tmp_path):
    found = read_parts(tmp_path, "")
    assert {k: v for k, v in found.items() if k != "middleware"} == OWN
    assert found["middleware"][0] == LEAN


@pytest.mark.parametrize("part", parts.PARTS)
def test_each_switch_swaps_its_part_and_no_other(tmp_path, part):
    own = read_parts(tmp_path, "")
    found = read_parts(tmp_path, part)
    for name in OWN:
        assert found[name] == (STOCK[name] if name == part else OWN[name]), name
    if part == "middleware":
        assert found["middleware"] == [path for path in own["middleware"] if path != LEAN]
    else:
        assert found["middleware"] == own["middleware"]


def test_without_the_short_chain_production_keeps_its_middleware_order(tmp_path):
    chain = read_parts(tmp_path, "middleware")["middleware"]
    security = chain.index("django.middleware.security.SecurityMiddleware")
    assert chain[security + 1 : security + 3] == [
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.middleware.csp.ContentSecurityPolicyMiddleware",
    ]


def test_a_part_the_portal_does_not_have_stops_start_up(tmp_path):
    answer = production_settings(tmp_path, STOCK_PARTS="sessions,templates")
    assert answer.returncode == 1
    assert "STOCK_PARTS takes sessions, cache, db, middleware, renderer, sql" in answer.stderr


def test_the_loopback_twilio_client_needs_its_address_and_the_suites_need_debug(tmp_path):
    loopback = "verification.backends.loopback_http.LoopbackTwilioHttpClient"
    alone = production_settings(tmp_path, TWILIO_HTTP_CLIENT=loopback)
    assert alone.returncode == 1 and "set TWILIO_LOOPBACK_URL" in alone.stderr
    elsewhere = production_settings(
        tmp_path, TWILIO_HTTP_CLIENT=loopback, TWILIO_LOOPBACK_URL="https://twilio.example.com"
    )
    assert elsewhere.returncode == 1 and "must be a loopback address" in elsewhere.stderr
    bench = production_settings(
        tmp_path, TWILIO_HTTP_CLIENT=loopback, TWILIO_LOOPBACK_URL="http://127.0.0.1:8781"
    )
    assert bench.returncode == 0, bench.stderr[-2000:]
    suite = production_settings(
        tmp_path, TWILIO_HTTP_CLIENT="tests.doubles.RecordingTwilioHttpClient"
    )
    assert suite.returncode == 1 and "from tests/ needs DEBUG=1" in suite.stderr


# --- The same behaviour with each part stock (in this process: every part but the database
# backend, which the suite's connection was opened with; its switch is checked above) --------
def stock_settings(settings, part: str) -> None:
    """This process's settings as STOCK_PARTS=<part> makes them."""
    if part == "sessions":
        settings.SESSION_ENGINE = STOCK["sessions"]
    elif part == "cache":
        settings.CACHES = {
            "default": django_settings.CACHES["default"] | {"BACKEND": STOCK["cache"]}
        }
    elif part == "middleware":
        settings.MIDDLEWARE = [path for path in django_settings.MIDDLEWARE if path != LEAN]
    elif part == "renderer":
        settings.FORM_RENDERER = STOCK["renderer"]
    elif part == "sql":
        settings.STOCK_SQL = True


IN_PROCESS = [part for part in parts.PARTS if part != "db"]


@pytest.mark.parametrize("part", IN_PROCESS)
def test_sign_in_and_the_account_page_work_with_the_part_stock(phone_client, settings, part):
    stock_settings(settings, part)
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    answer = sign_in(client, "98765 43210", GOOD_PASSWORD)
    assert answer.status_code == 302 and answer["Location"] == "/account/"
    assert client.get("/account/").status_code == 200
    user = User.objects.get(phone="+919876543210")
    events = SecurityEvent.objects.filter(user=user)
    assert events.filter(kind=SecurityEvent.Kind.SIGNED_IN).exists()
    assert user.known_browsers.count() >= 1
    wrong = sign_in(Client(), "98765 43210", "Wrong!Kite42x")
    assert wrong.status_code == 200  # the form again, the failure in the log
    assert events.filter(kind=SecurityEvent.Kind.SIGN_IN_FAILED).count() == 1


@pytest.mark.parametrize("part", IN_PROCESS)
def test_the_sign_up_page_and_its_captcha_work_with_the_part_stock(settings, part):
    stock_settings(settings, part)
    before = CaptchaStore.objects.count()
    page = Client().get("/accounts/signup/")
    assert page.status_code == 200 and 'name="phone"' in page.content.decode()
    assert CaptchaStore.objects.count() == before + 1


@pytest.mark.parametrize("part", IN_PROCESS)
def test_a_phone_polls_and_reports_locations_with_the_part_stock(phone_client, settings, part):
    stock_settings(settings, part)
    signed_in = Client().post(
        "/api/v1/device/sign-in/",
        {
            "login": "+919876543210",
            "password": GOOD_PASSWORD,
            "device": {
                "name": "Asha's phone",
                "model": "Redmi",
                "platform": "android",
                "hardware_id": "imei-356938035643809",
            },
        },
        content_type="application/json",
    )
    assert signed_in.status_code == 201, signed_in.content
    phone = Client(HTTP_AUTHORIZATION=f"Bearer {signed_in.json()['token']}")
    assert phone.get("/api/v1/device/commands/").json() == []
    now = timezone.now()

    def report(*minutes_ago: int):
        fixes = [
            {
                "lat": 28.6,
                "lon": 77.2,
                "accuracy": 5,
                "battery": 80,
                "taken_at": (now - timedelta(minutes=m)).isoformat(),
            }
            for m in minutes_ago
        ]
        answer = phone.post(
            "/api/v1/device/locations/", {"locations": fixes}, content_type="application/json"
        )
        assert answer.status_code == 202, answer.content
        assert answer.json() == {"stored": len(fixes)}

    report(2, 1)
    assert Location.objects.count() == 2
    newest = now - timedelta(minutes=1)
    assert Device.objects.get().last_located_at == newest
    report(3, 2)  # an older fix and one already stored: the newest place stays
    assert Location.objects.count() == 3
    assert Device.objects.get().last_located_at == newest
    assert Client().get("/api/v1/device/commands/").status_code in (401, 403)
