"""Production settings for real: the deployment check, and the production web server (granian,
config/server.py) on loopback with production settings (TLS terminated by a proxy, simulated
with X-Forwarded-Proto) that sends the security headers and logs no code, password or token
during a whole phone sign-up."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from captcha.models import CaptchaStore
from django.test import Client, override_settings

from config import crypto
from tests.config.production import (
    HOST,
    PRODUCTION_ENCRYPTION_KEY,
    production_env,
    production_server,
)
from tests.helpers import GOOD_PASSWORD, sign_up
from verification.models import OutboundMessage

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_the_deployment_check_passes(tmp_path, own_redis):
    answer = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path, own_redis.url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "no issues" in answer.stdout


def test_production_refuses_to_start_without_its_settings(tmp_path, own_redis):
    for missing in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
        env = production_env(tmp_path, own_redis.url)
        env.pop(missing)
        answer = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert answer.returncode != 0 and f"{missing} must be set" in answer.stderr, missing


@pytest.fixture
def server(tmp_path, own_redis):
    """The web server as production runs it, with production settings."""
    env = production_env(tmp_path, own_redis.url)
    log = tmp_path / "server.log"
    with production_server(env, log) as (base, _):
        yield base, log


class Browser:
    """A client as a browser behind the TLS proxy would be: https as far as Django knows."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{HOST}{path}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        answer = requests.request(
            method,
            self.base + path,
            headers=headers,
            allow_redirects=False,
            timeout=15,
            **kwargs,
        )
        # Secure cookies are kept by hand: to requests this loopback is plain http.
        for cookie in answer.cookies:
            self.cookies[cookie.name] = cookie.value
        return answer

    def csrf(self, page: requests.Response) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


EXPECTED_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_hardened(answer: requests.Response) -> None:
    for header, value in EXPECTED_HEADERS.items():
        assert answer.headers.get(header) == value, (answer.url, header, answer.headers)
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    for cookie in answer.raw.headers.getlist("Set-Cookie"):
        assert cookie.startswith("__Host-") and "Secure" in cookie and "Path=/" in cookie, cookie


def test_a_production_server_sends_the_security_headers(server):
    base, _ = server
    sign_up(Client(), phone="98765 43210")
    browser = Browser(base)
    # Probes come by IP address over plain HTTP.
    assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{base}/readyz", timeout=5).json()["status"] == "ready"
    plain = requests.get(f"{base}/", headers={"Host": HOST}, allow_redirects=False, timeout=5)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    assert_hardened(browser.request("GET", "/"))
    login = browser.request("GET", "/accounts/login/")
    assert_hardened(login)
    signed_in = browser.request(
        "POST",
        "/accounts/login/",
        data={
            "login": "+919876543210",
            "password": GOOD_PASSWORD,
            "country": "IN",
            "csrfmiddlewaretoken": browser.csrf(login),
        },
    )
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/account/"
    assert "__Host-sessionid" in browser.cookies
    account = browser.request("GET", "/account/")
    assert account.status_code == 200
    assert_hardened(account)
    static = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', account.text)
    assert static, "static files have hashed names"
    asset = browser.request("GET", static.group(1))
    assert asset.status_code == 200 and "max-age=31536000" in asset.headers["Cache-Control"]


def test_a_full_phone_sign_up_logs_no_secret(server):
    base, log = server
    browser = Browser(base)
    page = browser.request("GET", "/accounts/signup/")
    hashkey = re.search(r'name="captcha_0" value="([0-9a-f]+)"', page.text).group(1)
    answer = CaptchaStore.objects.get(hashkey=hashkey).response
    try:
        sent = browser.request(
            "POST",
            "/accounts/signup/",
            data={
                "method": "phone",
                "action": "send",
                "country": "IN",
                "phone": "98765 43210",
                "captcha_0": hashkey,
                "captcha_1": answer,
                "csrfmiddlewaretoken": browser.csrf(page),
            },
        )
    except requests.Timeout:
        raise AssertionError(log.read_text()[-3000:]) from None
    assert sent.status_code == 200, log.read_text()[-3000:]
    message = OutboundMessage.objects.get(to="+919876543210")
    with override_settings(ENCRYPTION_KEYS=[PRODUCTION_ENCRYPTION_KEY]):  # the server's key
        content = crypto.decrypt(message.encrypted_content)
    code = re.search(r"\b(\d{6})\b", content).group(1)
    created = browser.request(
        "POST",
        "/accounts/signup/",
        data={
            "method": "phone",
            "action": "create",
            "code": code,
            "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
            "terms": "on",
            "csrfmiddlewaretoken": browser.csrf(sent),
        },
    )
    assert created.status_code == 302 and created.headers["Location"] == "/account/"
    assert browser.request("GET", "/account/").status_code == 200
    time.sleep(0.5)
    logged = log.read_text()
    for secret in (code, GOOD_PASSWORD, browser.cookies["__Host-sessionid"]):
        assert secret not in logged
    # The portal's own lines are JSON with a request id; the access log among them, one line
    # for each of the sign-up's four requests.
    own = [json.loads(line) for line in logged.splitlines() if line.startswith('{"time"')]
    assert own and all(line["request_id"] for line in own)
    access = [line for line in own if line["logger"] == "portal.access"]
    assert [(line["method"], line["path"], line["status"]) for line in access][-4:] == [
        ("GET", "/accounts/signup/", 200),
        ("POST", "/accounts/signup/", 200),
        ("POST", "/accounts/signup/", 302),
        ("GET", "/account/", 200),
    ]
    assert len({line["request_id"] for line in access}) == len(access)


SCANNER = ROOT / ".venv-scan" / "bin" / "wapiti"
# Modules that attack only the target (none calls out to wapiti's own servers).
SCAN_MODULES = (
    "http_headers,csp,cookieflags,methods,redirect,crlf,xss,sql,exec,file,backup,htaccess"
)


def test_a_web_scan_finds_nothing_above_low(server, tmp_path):
    if not SCANNER.exists():
        pytest.fail("the scanner is missing: `make test` installs it in .venv-scan")
    base, _ = server
    report = tmp_path / "scan" / "report.json"
    report.parent.mkdir()
    scan = subprocess.run(
        [
            str(SCANNER),
            "-u",
            f"{base}/",
            "--scope",
            "folder",
            "-m",
            SCAN_MODULES,
            "-H",
            "X-Forwarded-Proto: https",
            "--flush-session",
            "--store-session",
            str(tmp_path / "session"),
            "--store-config",
            str(tmp_path / "config"),
            "--max-scan-time",
            "240",
            "-f",
            "json",
            "-o",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert report.exists(), scan.stdout[-2000:] + scan.stderr[-2000:]
    found = json.loads(report.read_text())
    assert found["infos"]["crawled_pages_nbr"] >= 10  # it really went through the portal
    above_low = [
        (category, finding["path"], finding["info"])
        for category, findings in found["vulnerabilities"].items()
        for finding in findings
        if finding["level"] > 1
    ]
    assert not above_low, above_low
