"""Password hashing: Argon2id with parameters from settings, and a bound on hashes at once.

Django's own Argon2 hasher fixes its parameters in the class (100 MiB, 2 passes, 8 lanes:
about 0.2 s of CPU per sign-in). Here they come from `ARGON2_MEMORY_KIB`, `ARGON2_TIME_COST` and
`ARGON2_PARALLELISM`, by default OWASP's first choice for Argon2id (19 MiB, 2 passes, 1 lane).
The algorithm name stays `argon2`, so hashes made with other parameters still verify and are
rewritten with the current ones at the next sign-in (Django's `must_update`).

Each web process lets at most `PASSWORD_HASHES_AT_ONCE` hashes run together. A hash holds a
core for its whole run; without a bound, a burst of sign-ins takes every core at once and the
cheap requests behind it (pages, device polls) wait for all of them.
"""

import dataclasses
import threading
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


@cache
def _hash_slots(size: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(size)


def hash_slot() -> threading.BoundedSemaphore:
    """The per-process gate every password hash passes through."""
    return _hash_slots(settings.PASSWORD_HASHES_AT_ONCE)


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id with the parameters of settings, through the per-process gate."""

    def params(self):
        return dataclasses.replace(
            super().params(),
            time_cost=settings.ARGON2_TIME_COST,
            memory_cost=settings.ARGON2_MEMORY_KIB,
            parallelism=settings.ARGON2_PARALLELISM,
        )

    def encode(self, password: str, salt: str) -> str:
        with hash_slot():
            return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        with hash_slot():
            return super().verify(password, encoded)
