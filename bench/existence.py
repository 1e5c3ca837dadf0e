"""Does an answer take longer when the account exists? (issue "abuse, round two", finding 6)

Pairs of requests, one about an existing account and one about a number no account has, sent
one at a time and interleaved (which goes first alternates), each from a new browser as an
attacker's script would: "Send code" on the password reset page, and a wrong password on the
sign-in page. Reported per kind: the median of each side, their difference, in how many pairs
the existing account's answer was the slower, and the SQL queries each side ran.

An answer that does the same work either way has the same queries and a median difference
within the machine's noise, with the existing side slower in about half the pairs.
"""

import statistics
import time

from bench import identities as ids
from bench.load import Browser, Failed, PortalScenarios, Target, csrf_cookie, expect

# Numbers no seeded account has (seeded ones are +9198...).
UNKNOWN_PREFIX = "+9197"


async def _reset_send(target: Target, phone: str) -> tuple[float, int | None, int]:
    browser = Browser(target, csrf_cookie())
    started = time.perf_counter()
    answer = await browser.request(
        "POST",
        "/accounts/password/reset/",
        {
            "csrfmiddlewaretoken": browser.csrf(),
            "action": "send",
            "method": "phone",
            "country": "IN",
            "phone": phone.removeprefix("+91"),
            "captcha_0": "bench",
            "captcha_1": "PASSED",
        },
    )
    elapsed = time.perf_counter() - started
    expect(answer, 200)
    if "If " not in answer.text:
        raise Failed("the reset page did not say a code was sent: " + answer.text[:300])
    return elapsed, answer.queries, len(answer.text)


async def _wrong_password(target: Target, phone: str) -> tuple[float, int | None, int]:
    browser = Browser(target, csrf_cookie())
    started = time.perf_counter()
    answer = await browser.request(
        "POST",
        "/accounts/login/",
        {"csrfmiddlewaretoken": browser.csrf(), "login": phone, "password": "Wrong!Kite42x"},
    )
    elapsed = time.perf_counter() - started
    expect(answer, 200)
    return elapsed, answer.queries, len(answer.text)


async def measure(portal: PortalScenarios, pairs: int) -> dict:
    """`pairs` interleaved pairs of each kind; every request names an account (or a number)
    of its own, so no cooldown or failure count of an earlier one changes it."""
    existing = iter(portal.password_only_list[-2 * pairs :])
    unknown = (f"{UNKNOWN_PREFIX}{n:08d}" for n in range(10**7, 10**8))
    result = {}
    for key, title, request in (
        ("reset_send", 'Password reset, "Send code"', _reset_send),
        ("wrong_password", "Sign-in, wrong password", _wrong_password),
    ):
        times: dict[str, list[float]] = {"existing": [], "unknown": []}
        queries: dict[str, set] = {"existing": set(), "unknown": set()}
        sizes: dict[str, set] = {"existing": set(), "unknown": set()}
        slower = 0
        for k in range(pairs):
            phones = {"existing": ids.phone(next(existing)), "unknown": next(unknown)}
            order = ("existing", "unknown") if k % 2 else ("unknown", "existing")
            took = {}
            for side in order:
                took[side], counted, size = await request(portal.t, phones[side])
                times[side].append(took[side])
                queries[side].add(counted)
                sizes[side].add(size)
            slower += took["existing"] > took["unknown"]
        existing_ms = statistics.median(times["existing"]) * 1000
        unknown_ms = statistics.median(times["unknown"]) * 1000
        result[key] = {
            "title": title,
            "pairs": pairs,
            "existing_median_ms": round(existing_ms, 2),
            "unknown_median_ms": round(unknown_ms, 2),
            "difference_ms": round(existing_ms - unknown_ms, 2),
            "existing_slower_in": slower,
            "queries": {
                side: sorted(q for q in counts if q is not None) for side, counts in queries.items()
            },
            "body_sizes": {side: sorted(s) for side, s in sizes.items()},
        }
        print(
            f"  {title}: existing {existing_ms:.1f} ms, unknown {unknown_ms:.1f} ms (median of "
            f"{pairs}); existing slower in {slower} of {pairs}; queries "
            f"{result[key]['queries']}",
            flush=True,
        )
    return result
