"""Queues sign-up code SMS at a fixed rate, the way the sign-up page does (the message row is
written and its delivery task enqueued on commit), so SMS delivery is measured at 50 a second
whatever rate the web processes can reach on a busy machine.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.enqueue --rate 50 --seconds 12 --first 0
"""

import argparse
import time
from datetime import timedelta

import django


def main() -> None:
    parser = argparse.ArgumentParser(description="Queue sign-up code SMS at a fixed rate.")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--first", type=int, required=True, help="first number of the range")
    args = parser.parse_args()
    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from accounts.outgoing import send_code_message

    def send(destination: str, code: str) -> None:
        with transaction.atomic():
            send_code_message(
                "signup_code",
                channel="sms",
                destination=destination,
                code=code,
                expires_at=timezone.now() + timedelta(minutes=10),
                language="en",
            )

    # A web process that sends codes has its database and broker connections open: a few
    # codes to numbers the measurement leaves out (+915...) open this one's.
    for k in range(5):
        send(f"+915{(args.first + k) % 10**9:09d}", "000000")
    time.sleep(1)

    start = time.perf_counter()
    for k in range(int(args.rate * args.seconds)):
        delay = start + k / args.rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        send(f"+916{(args.first + k) % 10**9:09d}", f"{k % 10**6:06d}")


if __name__ == "__main__":
    main()
