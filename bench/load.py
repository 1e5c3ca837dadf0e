"""The open-loop load generator (asyncio + aiohttp) and the scenarios it drives.

Open loop: operations start at a set arrival rate whatever the answers are, and each latency is
measured from the moment the operation was due to start, so a slow server cannot slow the
arrivals down and hide its own queueing (coordinated omission). The saturating rate is found
first with a closed loop (a fixed number of operations in flight, each starting as one ends).
"""

import asyncio
import itertools
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import aiohttp
import pyotp

from bench import identities as ids

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TIMEOUT = aiohttp.ClientTimeout(total=30)


def connector() -> aiohttp.TCPConnector:
    """Idle connections are dropped after 1 s: gunicorn closes them after 2 s (`keepalive`),
    and a request sent on one it is closing fails as "Server disconnected"."""
    return aiohttp.TCPConnector(limit=512, keepalive_timeout=1)


class Failed(Exception):
    """An operation got an answer it should not have."""


@dataclass
class Answer:
    status: int
    text: str
    location: str
    queries: int | None


def csrf_cookie() -> dict[str, str]:
    """A CSRF cookie as a page of the site sets it (Django takes any well-formed secret), under
    the portal's production name and Django's default one."""
    secret = secrets.token_hex(16)
    return {"__Host-csrftoken": secret, "csrftoken": secret}


class Browser:
    """One visitor: its own cookies (kept by hand: the stack is plain http on loopback, while
    the portal, behind its TLS proxy as far as it knows, sets `Secure` `__Host-` cookies)."""

    def __init__(self, target: "Target", cookies: dict[str, str] | None = None) -> None:
        self.target = target
        self.cookies = dict(cookies or {})

    async def request(
        self, method: str, path: str, data: dict | None = None, headers: dict | None = None
    ) -> Answer:
        target = self.target
        sent = {
            "Host": target.host,
            "X-Forwarded-Proto": "https",
            "Origin": f"https://{target.host}",
            "Referer": f"https://{target.host}{path}",
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36",
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent |= headers or {}
        async with target.http.request(
            method, target.base + path, data=data, headers=sent, allow_redirects=False
        ) as response:
            text = await response.text()
            for header in response.headers.getall("Set-Cookie", []):
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            queries = response.headers.get("X-Bench-Queries")
            answer = Answer(
                response.status,
                text,
                response.headers.get("Location", ""),
                int(queries) if queries else None,
            )
        target.count_queries(f"{method} {path}", answer.queries)
        return answer

    def csrf(self, page: str = "") -> str:
        """The token a form posts: from the page when given, else the cookie's secret (Django
        accepts the unmasked secret, as a script reading the cookie would send)."""
        match = CSRF_FIELD.search(page)
        if match:
            return match.group(1)
        for name, value in self.cookies.items():
            if name.endswith("csrftoken"):
                return value
        raise Failed("no CSRF token")

    def forget_session(self) -> None:
        for name in [name for name in self.cookies if name.endswith("sessionid")]:
            del self.cookies[name]


@dataclass
class Target:
    """The site under load and what the scenarios know of it."""

    base: str
    host: str
    http: aiohttp.ClientSession
    standin: str = ""
    queries: dict[str, list[int]] = field(default_factory=dict)

    def count_queries(self, path: str, count: int | None) -> None:
        if count is not None:
            key = re.sub(r"[0-9a-f-]{36}", "<id>", path.split("?")[0])
            self.queries.setdefault(key, []).append(count)


Operation = Callable[[], Awaitable[None]]


def expect(answer: Answer, status: int, location: str = "") -> Answer:
    if answer.status != status or (location and not answer.location.startswith(location)):
        raise Failed(f"{answer.status} {answer.location} {answer.text[:200]}")
    return answer


# --- Scenarios --------------------------------------------------------------------------------
class PortalScenarios:
    """Each scenario is a factory of operations; `prepare` opens what they need first."""

    def __init__(self, target: Target, accounts: int) -> None:
        self.t = target
        self.accounts = accounts
        password_only = [i for i in range(ids.RESERVED + 1, accounts) if not ids.has_totp(i)]
        with_app = [i for i in range(ids.RESERVED + 1, accounts) if ids.has_totp(i)]
        random.shuffle(password_only)
        random.shuffle(with_app)
        self.password_only_list = password_only
        self.password_only = itertools.cycle(password_only)
        # An authenticator code is accepted once: wrk's closed loop (bench/scripts.py) and
        # this generator's phases sign in with accounts of their own.
        self.with_app_for_wrk = with_app[::2]
        self.with_app = itertools.cycle(with_app[1::2] or with_app)
        self.devices = [i for i in range(accounts) if i != ids.PENDING_DEVICE]
        self.new_numbers = itertools.count(random.randrange(10**6) * 100)
        self.browsers: dict[int, Browser] = {}
        self.signed_in: dict[int, Browser] = {}

    async def prepare(self, sign_in_pool: int) -> None:
        """Sign in the accounts whose pages are read, and load the sign-in page once in the
        browsers that will sign in (each keeps its CSRF cookie, as a returning browser does)."""
        for i in (ids.LOG_50_EVENTS, ids.LOG_1_EVENT):
            browser = Browser(self.t, {"__Host-portal_browser": ids.browser_key(i)})
            page = await browser.request("GET", "/accounts/login/")
            answer = await browser.request(
                "POST",
                "/accounts/login/",
                {
                    "csrfmiddlewaretoken": browser.csrf(page.text),
                    "login": ids.phone(i),
                    "password": ids.PASSWORD,
                },
            )
            expect(answer, 302, "/account/")
            self.signed_in[i] = browser

    async def browser_for(self, i: int) -> Browser:
        """The browser account `i` signed in from before: its browser key, and a CSRF cookie
        as the sign-in page it loaded earlier left it."""
        browser = self.browsers.get(i)
        if browser is None:
            browser = Browser(self.t, {"__Host-portal_browser": ids.browser_key(i)} | csrf_cookie())
            self.browsers[i] = browser
        return browser

    async def password_step(self, i: int, *, then: str) -> Browser:
        """Account `i` signs in with its password from its known browser; the answer sends it
        to `then`."""
        browser = await self.browser_for(i)
        browser.forget_session()
        answer = await browser.request(
            "POST",
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": browser.csrf(),
                "login": ids.phone(i),
                "password": ids.PASSWORD,
            },
        )
        expect(answer, 302, then)
        return browser

    def sign_in(self) -> Operation:
        async def operation() -> None:
            await self.password_step(next(self.password_only), then="/account/")

        return operation

    def sign_in_totp(self) -> Operation:
        async def operation() -> None:
            i = next(self.with_app)
            browser = await self.password_step(i, then="/accounts/2fa/authenticate/")
            await _fresh_totp_step()
            answer = await browser.request(
                "POST",
                "/accounts/2fa/authenticate/",
                {
                    "csrfmiddlewaretoken": browser.csrf(),
                    "method": "app",
                    "code": pyotp.TOTP(ids.totp_secret(i)).now(),
                },
            )
            expect(answer, 302, "/account/")

        return operation

    def page(self, path: str, account: int) -> Operation:
        async def operation() -> None:
            expect(await self.signed_in[account].request("GET", path), 200)

        return operation

    def signup_page(self) -> Operation:
        async def operation() -> None:
            expect(await Browser(self.t).request("GET", "/accounts/signup/"), 200)

        return operation

    def _new_phone(self) -> tuple[str, str]:
        national = f"7{next(self.new_numbers) % 10**9:09d}"
        return national, f"+91{national}"

    async def _send_code(self, browser: Browser, national: str, page: str = "") -> None:
        answer = await browser.request(
            "POST",
            "/accounts/signup/",
            {
                "csrfmiddlewaretoken": browser.csrf(page),
                "action": "send",
                "method": "phone",
                "country": "IN",
                "phone": national,
                "captcha_0": "bench",
                "captcha_1": "PASSED",
            },
        )
        expect(answer, 200)
        if "We sent a 6-digit code" not in answer.text:
            raise Failed("no code was sent: " + answer.text[:300])

    async def _code_for(self, e164: str) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            async with self.t.http.get(f"{self.t.standin}/code", params={"to": e164}) as answer:
                if answer.status == 200:
                    return (await answer.json())["code"]
            await asyncio.sleep(0.02)
        raise Failed(f"no SMS reached the stand-in for {e164}")

    def sign_up(self) -> Operation:
        async def operation() -> None:
            browser = Browser(self.t)
            page = expect(await browser.request("GET", "/accounts/signup/"), 200)
            national, e164 = self._new_phone()
            await self._send_code(browser, national, page.text)
            code = await self._code_for(e164)
            answer = await browser.request(
                "POST",
                "/accounts/signup/",
                {
                    "csrfmiddlewaretoken": browser.csrf(),
                    "action": "create",
                    "method": "phone",
                    "country": "IN",
                    "phone": national,
                    "code": code,
                    "password1": ids.PASSWORD,
                    "password2": ids.PASSWORD,
                    "terms": "on",
                },
            )
            expect(answer, 302, "/account/")

        return operation

    def send_code(self, pool: list[Browser]) -> Operation:
        """One sign-up code by SMS, from a browser that has the sign-up page open."""
        browsers = itertools.cycle(pool)

        async def operation() -> None:
            browser = next(browsers)
            browser.forget_session()
            national, e164 = self._new_phone()
            await self._send_code(browser, national)

        return operation

    async def send_code_pool(self, size: int) -> list[Browser]:
        pool = []
        for _ in range(size):
            browser = Browser(self.t)
            expect(await browser.request("GET", "/accounts/signup/"), 200)
            pool.append(browser)
        return pool

    def report_locations(self) -> Operation:
        async def operation() -> None:
            i = random.choice(self.devices)
            async with self.t.http.post(
                f"{self.t.base}/api/v1/device/locations/",
                json={"locations": recent_fixes()},
                headers=self._device_headers(i),
            ) as answer:
                await answer.read()
                self.t.count_queries(
                    "POST /api/v1/device/locations/",
                    _queries(answer.headers.get("X-Bench-Queries")),
                )
                if answer.status != 202:
                    raise Failed(f"{answer.status} {await answer.text()}")

        return operation

    def poll(self, pending: bool) -> Operation:
        path = "/api/v1/device/commands/"
        label = f"GET {path}" + (" (one pending)" if pending else "")

        async def operation() -> None:
            i = ids.PENDING_DEVICE if pending else random.choice(self.devices)
            async with self.t.http.get(
                f"{self.t.base}{path}", headers=self._device_headers(i)
            ) as answer:
                body = await answer.json()
                self.t.count_queries(label, _queries(answer.headers.get("X-Bench-Queries")))
                if answer.status != 200 or len(body) != (1 if pending else 0):
                    raise Failed(f"{answer.status} {body}")

        return operation

    def refresh_app_token(self) -> Operation:
        """The smart-home app refreshes one account's tokens (ecosystem sign-in): each refresh
        token is used once and replaced, so every account is refreshed by one operation at a
        time, in turn."""
        idle: asyncio.Queue = asyncio.Queue()
        current: dict[int, str] = {}
        for i in self.password_only_list:
            idle.put_nowait(i)
        path = "/identity/o/api/token"

        async def operation() -> None:
            i = await idle.get()
            try:
                async with self.t.http.post(
                    f"{self.t.base}{path}",
                    data={
                        "grant_type": "refresh_token",
                        "refresh_token": current.get(i, ids.refresh_token(i)),
                        "client_id": ids.HOME_APP_ID,
                    },
                    headers={"Host": self.t.host, "X-Forwarded-Proto": "https"},
                ) as answer:
                    body = await answer.json()
                    self.t.count_queries(
                        f"POST {path} (refresh)", _queries(answer.headers.get("X-Bench-Queries"))
                    )
                    if answer.status != 200:
                        raise Failed(f"{answer.status} {body}")
                    current[i] = body["refresh_token"]
            finally:
                idle.put_nowait(i)

        return operation

    def _device_headers(self, i: int) -> dict[str, str]:
        return {
            "Host": self.t.host,
            "X-Forwarded-Proto": "https",
            "Authorization": f"Token {ids.device_token(i)}",
        }


def recent_fixes() -> list[dict]:
    """A batch of 10 fixes a phone took in the seconds before it reports them."""
    now = datetime.now(UTC)
    return [
        {
            "lat": 12.97 + random.random() / 100,
            "lon": 77.59 + random.random() / 100,
            "accuracy": 15.0,
            "battery": 80,
            "taken_at": (now - timedelta(seconds=k, microseconds=random.randrange(10**6)))
            .isoformat()
            .replace("+00:00", "Z"),
        }
        for k in range(10)
    ]


async def _fresh_totp_step() -> None:
    """A person does not type a code whose 30 s are running out: with a quarter of a second
    left, the code could reach the server in the next step (allauth accepts only the current
    one), so wait for the new code as they would."""
    left = 30 - time.time() % 30
    if left < 0.25:
        await asyncio.sleep(left + 0.01)


def _queries(value: str | None) -> int | None:
    return int(value) if value else None


class StockScenarios:
    """The scenarios that exist on the stock allauth site."""

    def __init__(self, target: Target, accounts: int) -> None:
        self.t = target
        numbers = list(range(1, accounts))
        random.shuffle(numbers)
        self.number_list = numbers
        self.numbers = itertools.cycle(numbers)
        self.browsers: dict[int, Browser] = {}
        self.signed_in: Browser | None = None

    async def prepare(self, sign_in_pool: int) -> None:
        browser = Browser(self.t)
        await self._sign_in(browser, 0, await browser.request("GET", "/accounts/login/"))
        self.signed_in = browser

    async def _sign_in(self, browser: Browser, i: int, page: Answer | None = None) -> None:
        answer = await browser.request(
            "POST",
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": browser.csrf(page.text if page else ""),
                "login": ids.stock_email(i),
                "password": ids.PASSWORD,
            },
        )
        expect(answer, 302, "/accounts/email/")

    def sign_in(self) -> Operation:
        async def operation() -> None:
            i = next(self.numbers)
            browser = self.browsers.setdefault(i, Browser(self.t, csrf_cookie()))
            browser.forget_session()
            await self._sign_in(browser, i)

        return operation

    def signup_page(self) -> Operation:
        async def operation() -> None:
            expect(await Browser(self.t).request("GET", "/accounts/signup/"), 200)

        return operation

    def email_page(self) -> Operation:
        async def operation() -> None:
            assert self.signed_in is not None
            expect(await self.signed_in.request("GET", "/accounts/email/"), 200)

        return operation


# --- Drivers ----------------------------------------------------------------------------------
@dataclass
class Phase:
    """What one run of a scenario at one load gave."""

    load: str
    offered_rate: float | None
    seconds: float
    completed: int
    errors: int
    latencies: list[float]
    first_errors: list[str]

    @property
    def throughput(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


async def _timed(operation: Operation, due: float, latencies: list, errors: list) -> None:
    try:
        await asyncio.wait_for(operation(), TIMEOUT.total)
    except (Failed, aiohttp.ClientError, TimeoutError, KeyError, ValueError) as error:
        errors.append(f"{type(error).__name__}: {error}"[:300])
    else:
        latencies.append(time.perf_counter() - due)


async def closed_loop(operation: Operation, concurrency: int, seconds: float) -> Phase:
    latencies: list[float] = []
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    async def user() -> None:
        while time.perf_counter() < stop:
            await _timed(operation, time.perf_counter(), latencies, errors)

    start = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return Phase(
        f"closed {concurrency}", None, elapsed, len(latencies), len(errors), latencies, errors[:5]
    )


async def open_loop(operation: Operation, rate: float, seconds: float, label: str) -> Phase:
    latencies: list[float] = []
    errors: list[str] = []
    count = max(1, int(rate * seconds))
    start = time.perf_counter()
    tasks = []
    for k in range(count):
        due = start + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_timed(operation, due, latencies, errors)))
    await asyncio.gather(*tasks)
    elapsed = max(time.perf_counter() - start, seconds)
    return Phase(label, rate, elapsed, len(latencies), len(errors), latencies, errors[:5])
