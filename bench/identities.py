"""Who the seeded accounts and devices are: derived from their number, so the seed and the
load generator agree without sharing a file. Every secret here is a bench fixture."""

import base64
import hashlib

PASSWORD = "Blue!Kite42x"  # noqa: S105 - the seeded accounts' password
HOST = "portal.bench.test"
# Seeded accounts with these numbers have a role of their own; sign-in scenarios skip them.
LOG_50_EVENTS = 0  # its security log has 50 events
LOG_1_EVENT = 1  # its security log has 1 event
PENDING_DEVICE = 2  # its device has one pending command
RESERVED = 3


def phone(i: int) -> str:
    """+91 98xxxxxxxx: Indian mobile numbers."""
    return f"+9198{i:08d}"


def account_id(i: int) -> str:
    return str(5_000_000_000 + i)


def has_totp(i: int) -> bool:
    """Odd accounts sign in with an authenticator app, even ones (and the reserved ones) with
    the password only."""
    return i > RESERVED and i % 2 == 1


def totp_secret(i: int) -> str:
    return base64.b32encode(hashlib.sha256(f"bench-totp-{i}".encode()).digest()[:20]).decode()


def browser_key(i: int) -> str:
    """The browser cookie of the one browser each account has signed in from."""
    return f"bench-browser-{i:010d}-{'k' * 20}"


def device_token(i: int) -> str:
    return f"bench-device-token-{i:010d}-{'t' * 16}"


# The smart-home app every seeded account signed in to (ecosystem sign-in), and each account's
# refresh token there as seeded (the bench's refresh scenario rotates it).
HOME_APP_ID = "bench-home-app"


def refresh_token(i: int) -> str:
    return f"bench-refresh-token-{i:010d}-{'r' * 24}"


def stock_email(i: int) -> str:
    return f"user{i}@bench.test"
