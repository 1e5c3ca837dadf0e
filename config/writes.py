"""Writes whose commit need not wait for the disk (PostgreSQL's asynchronous commit).

A CAPTCHA challenge and a phone's location fixes are written often and are worth little once a
moment has passed: if PostgreSQL stopped in the fraction of a second before it flushed them, a
person is shown another CAPTCHA and the phone's next report brings the place again. For these,
and only these, the transaction commits with `synchronous_commit = off`: it is visible to every
reader at once and can never be half-applied, but the request does not wait for the WAL flush
(bench/README.md, "Seventh round", measured what the wait cost the sign-up page). Accounts,
codes, sessions and the security log keep waiting for the disk.
"""

from collections.abc import Sequence

from django.db import connection

Statement = tuple[str, Sequence]


def write_with_async_commit(statements: Sequence[Statement]) -> None:
    """Run the statements as one transaction that does not wait for the disk.

    On PostgreSQL they go as one string: a string of several statements is one implicit
    transaction, which `SET LOCAL` applies to (one round trip, one commit). Inside a caller's
    transaction, or on SQLite, they run as they are: the commit is not ours to relax."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute(
                "; ".join(["SET LOCAL synchronous_commit = off", *(sql for sql, _ in statements)]),
                [param for _, params in statements for param in params],
            )
            return
        for sql, params in statements:
            cursor.execute(sql, params)
