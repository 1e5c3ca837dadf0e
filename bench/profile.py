"""One sign-in through the portal's WSGI application in this process, no HTTP: its CPU time
besides the password hash, and where that time goes (cProfile).

    python -m bench.profile [--n 300] [--top 25] [--totp]
    python -m bench.profile --page /account/ [--n 300] [--signed-out]

With --page, one account signs in (not with --signed-out) and the page is asked for n times,
each timed and profiled (/account/, /account/security-log/, /accounts/signup/ signed out...).
STOCK_PARTS works here as in the portal (bench/README.md): the same page with a part swapped.

It builds a database of its own (`<BENCH_DB_PREFIX>_profile` on BENCH_PG), seeds an account for
each sign-in with bench/seed.py, and uses Redis db 15 of REDIS_URL's server (flushed first).
Settings are the bench's (production's, with the per-IP sign-in limits raised as in
bench/run.py). Each sign-in
is the scenario's: the sign-in page's CSRF cookie and a known browser, then `POST
/accounts/login/`; with --totp, then `POST /accounts/2fa/authenticate/` with the code.

Reported: CPU milliseconds per request (process time, the median of the runs), the Argon2 hash
alone, and the difference; then cProfile's functions by own time, the hash left out.
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def environment(database_url: str, redis_url: str, var: Path) -> dict[str, str]:
    """What bench/run.py gives the portal's processes, for this process."""
    from bench.run import bench_signing_key

    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "ENCRYPTION_KEYS": "bench-encryption-key-" + "y" * 40,
        "OIDC_SIGNING_KEYS": str(bench_signing_key(var)),
        "ALLOWED_HOSTS": "portal.bench.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "VAR_DIR": str(var),
        "LOG_LEVEL": "WARNING",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "bench-token",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE": "1000000",
        "SIGN_IN_FAILURES_PER_IP_PER_MINUTE": "1000000",
        "MAP_TILE_URL": "",
    }


class Browser:
    """Requests through the WSGI application, with a cookie jar, as one browser."""

    def __init__(self, app, host: str) -> None:
        self.app = app
        self.host = host
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, dict, str]:
        body = urlencode(data or {}).encode()
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": self.host,
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": self.host,
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36",
            "HTTP_REFERER": f"https://{self.host}{path}",
            "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "https",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        answer: dict = {}

        def start_response(status, headers, exc_info=None):
            answer["status"] = int(status.split()[0])
            answer["headers"] = headers

        chunks = self.app(environ, start_response)
        text = b"".join(chunks).decode(errors="replace")
        if hasattr(chunks, "close"):
            chunks.close()
        headers: dict[str, str] = {}
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                cookie = SimpleCookie(value)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
            headers[name.lower()] = value
        return answer["status"], headers, text


def fresh_database(pg: str, name: str) -> str:
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{pg}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300, help="sign-ins to time (default 300)")
    parser.add_argument("--top", type=int, default=25, help="functions to list")
    parser.add_argument("--totp", action="store_true", help="the TOTP step too")
    parser.add_argument("--page", help="profile GET of this signed-in page instead")
    parser.add_argument("--signed-out", action="store_true", help="with --page: not signed in")
    parser.add_argument(
        "--against-stock",
        choices=sorted(SWAPPABLE),
        help="with --page: the page with this part own and stock, in alternating blocks",
    )
    parser.add_argument("--save", help="write the profile there too (pstats, for snakeviz etc.)")
    args = parser.parse_args()

    pg = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    name = os.environ.get("BENCH_DB_PREFIX", "bench") + "_profile"
    redis_base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    var = Path(os.environ.get("BENCH_VAR", "/tmp/portal-profile"))  # noqa: S108
    var.mkdir(parents=True, exist_ok=True)
    os.environ.update(environment(fresh_database(pg, name), f"{redis_base}/15", var))

    import django

    django.setup()
    import argon2
    import pyotp
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    from bench import identities as ids
    from bench.seed import seed

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    cache.clear()
    # Every sign-in below is another account's: a TOTP code is taken once, and the per-account
    # limits never come into play.
    accounts = 2 * (args.n + 70) + ids.RESERVED + 2
    seed(accounts)
    app = get_wsgi_application()

    hasher = argon2.PasswordHasher(
        memory_cost=settings.ARGON2_MEMORY_KIB,
        time_cost=settings.ARGON2_TIME_COST,
        parallelism=settings.ARGON2_PARALLELISM,
    )
    encoded = hasher.hash(ids.PASSWORD)
    hash_times = []
    for _ in range(20):
        start = time.process_time()
        hasher.verify(encoded, ids.PASSWORD)
        hash_times.append(time.process_time() - start)
    hash_ms = statistics.median(hash_times) * 1000

    numbers = iter([i for i in range(ids.RESERVED + 1, accounts) if ids.has_totp(i) == args.totp])

    def one(i: int, profile: cProfile.Profile | None) -> tuple[float, float]:
        """One account's sign-in from its known browser: (password step, TOTP step) CPU."""
        browser = Browser(app, ids.HOST)
        browser.cookies[settings.BROWSER_COOKIE_NAME] = ids.browser_key(i)
        status, _, page = browser.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"csrfmiddlewaretoken": token, "login": ids.phone(i), "password": ids.PASSWORD}
        if profile:
            profile.enable()
        start = time.process_time()
        status, headers, _ = browser.request("POST", "/accounts/login/", form)
        password_step = time.process_time() - start
        if profile:
            profile.disable()
        totp_step = 0.0
        if args.totp:
            assert status == 302 and "2fa" in headers.get("location", ""), (status, headers)
            _, _, page = browser.request("GET", headers["location"])
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            code = pyotp.TOTP(ids.totp_secret(i)).now()
            if profile:
                profile.enable()
            start = time.process_time()
            status, headers, _ = browser.request(
                "POST", "/accounts/2fa/authenticate/", {"csrfmiddlewaretoken": token, "code": code}
            )
            totp_step = time.process_time() - start
            if profile:
                profile.disable()
        assert status == 302 and headers.get("location") == "/account/", (status, headers)
        return password_step, totp_step

    if args.page:
        profile_page(args, app, ids, next(numbers))
        return
    for _ in range(10):  # warm-up: imports, caches, connections
        one(next(numbers), None)
    timed = [one(next(numbers), None) for _ in range(args.n)]
    profile = cProfile.Profile(time.process_time)  # CPU time, as the bench counts it
    for _ in range(60):
        one(next(numbers), profile)

    if args.save:
        profile.dump_stats(args.save)
    password_ms = statistics.median(t[0] for t in timed) * 1000
    print(f"sign-ins timed: {len(timed)} (accounts with{'' if args.totp else 'out'} TOTP)")
    print(f"password step: {password_ms:.2f} ms CPU (median)")
    print(f"  Argon2 verification alone: {hash_ms:.2f} ms")
    print(f"  everything else: {password_ms - hash_ms:.2f} ms")
    if args.totp:
        print(f"TOTP step: {statistics.median(t[1] for t in timed) * 1000:.2f} ms CPU (median)")
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top * 6)
    print(out.getvalue())


# The parts a running process can swap (settings read per request); the others (session store,
# database backend, middleware chain) are fixed when the process starts: bench/parts.py restarts
# the web server for them.
SWAPPABLE = {
    "cache": lambda settings: {
        "CACHES": {
            "default": {
                **settings.CACHES["default"],
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
            }
        }
    },
    "renderer": lambda settings: {"FORM_RENDERER": "django.forms.renderers.TemplatesSetting"},
    "sql": lambda settings: {"STOCK_SQL": True},
    # Nothing swapped: how far apart two identical sides come out (the noise floor).
    "nothing": lambda settings: {},
}


def compare_in_process(args, one) -> None:
    """The page with `args.against_stock` own and stock, in 40 rounds of two adjacent blocks
    (own first in even rounds, stock first in odd ones), each block's median CPU; reported, the
    median of each side's blocks and of the rounds' ratios, with the middle half of those
    ratios. In one process and adjacent in time, so the machine's drift enters neither side,
    and nothing but the part differs ("nothing" swaps nothing: the noise floor)."""
    from django.conf import settings
    from django.test import override_settings

    stock = override_settings(**SWAPPABLE[args.against_stock](settings))
    block = max(args.n // 40, 10)
    sides: dict[str, list[float]] = {"own": [], "stock": []}
    ratios = []
    for round_ in range(40):
        order = ("own", "stock") if round_ % 2 == 0 else ("stock", "own")
        for side in order:
            if side == "stock":
                stock.enable()
            try:
                for _ in range(3):  # the swap's first requests (new client, templates loaded)
                    one()
                sides[side].append(statistics.median(one() for _ in range(block)))
            finally:
                if side == "stock":
                    stock.disable()
        ratios.append(sides["stock"][-1] / sides["own"][-1])
    own, theirs = (statistics.median(sides[side]) * 1000 for side in ("own", "stock"))
    quartiles = statistics.quantiles(ratios, n=4)
    print(
        f"GET {args.page}, {args.against_stock}: own {own:.2f} ms CPU, stock {theirs:.2f} ms"
        f" (medians of 40 blocks of {block}); stock / own per round: median"
        f" {statistics.median(ratios):.3f}, middle half {quartiles[0]:.3f}-{quartiles[2]:.3f}"
    )


def profile_page(args, app, ids, number: int) -> None:
    """One account signs in (unless --signed-out), then GETs `args.page` n times: CPU per
    page, and its profile."""
    from django.conf import settings

    browser = Browser(app, ids.HOST)
    browser.cookies[settings.BROWSER_COOKIE_NAME] = ids.browser_key(number)
    _, _, page = browser.request("GET", "/accounts/login/")
    if not args.signed_out:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"csrfmiddlewaretoken": token, "login": ids.phone(number), "password": ids.PASSWORD}
        status, headers, _ = browser.request("POST", "/accounts/login/", form)
        assert status == 302 and headers.get("location") == "/account/", (status, headers)

    def one() -> float:
        start = time.process_time()
        status, _, text = browser.request("GET", args.page)
        assert status == 200, status
        return time.process_time() - start

    for _ in range(20):
        one()
    if args.against_stock:
        compare_in_process(args, one)
        return
    timed = [one() for _ in range(args.n)]
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(100):
        one()
    profile.disable()
    if args.save:
        profile.dump_stats(args.save)
    _, _, text = browser.request("GET", args.page)
    print(f"GET {args.page}: {statistics.median(timed) * 1000:.2f} ms CPU (median of {args.n}),")
    print(f"  {len(text.encode())} bytes")
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(
            args.top * (1 if order == "tottime" else 4)
        )
        print(out.getvalue())


if __name__ == "__main__":
    main()
