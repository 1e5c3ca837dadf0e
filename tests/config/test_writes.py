"""Writes that do not wait for the disk (config/writes.py), on PostgreSQL."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.forms import new_challenge
from config.writes import write_with_async_commit

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

INSERT = (
    "INSERT INTO captcha_captchastore (challenge, response, hashkey, expiration)"
    " VALUES ('A', 'a', %s, now())"
)


def keys() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT hashkey FROM captcha_captchastore")
        return {row[0] for row in cursor.fetchall()}


def test_the_statements_are_one_transaction_that_does_not_wait_for_the_disk():
    with CaptureQueriesContext(connection) as queries:
        write_with_async_commit([(INSERT, ["k1"]), (INSERT, ["k2"])])
    assert [q["sql"].split(";")[0] for q in queries] == ["SET LOCAL synchronous_commit = off"]
    assert keys() == {"k1", "k2"}
    with pytest.raises(IntegrityError):  # the second fails: the first is not kept either
        write_with_async_commit([(INSERT, ["k3"]), (INSERT, ["k1"])])
    assert keys() == {"k1", "k2"}


def test_inside_a_callers_transaction_its_commit_is_left_alone():
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        write_with_async_commit([(INSERT, ["k1"]), (INSERT, ["k2"])])
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('synchronous_commit')")
            assert cursor.fetchone() == ("on",)
    assert not any("synchronous_commit = off" in q["sql"] for q in queries)
    assert keys() == {"k1", "k2"}


def test_a_captcha_challenge_is_stored_by_one_such_write():
    with CaptureQueriesContext(connection) as queries:
        key = new_challenge()
    assert len(queries) == 1 and "synchronous_commit = off" in queries[0]["sql"]
    assert keys() == {key}
