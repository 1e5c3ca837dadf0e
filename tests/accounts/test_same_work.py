"""Answers take the same time whether the account exists, because they do the same work: the
same SQL statements in the same order and the same tasks handed to the worker, for an existing
account and for a number or address with none. (Timing itself is measured by the benchmark,
bench/existence.py; a timed unit test would only measure the machine.)"""

import re
from unittest import mock

import pytest
from celery.app.task import Task
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.helpers import GOOD_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

OWNER = "98765 43210"
STRANGER = "98765 11111"  # no account has it


def statement_shape(sql: str) -> str:
    """The statement without its values: quoted strings, numbers and lists of them."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r'"s\d+_x\d+"', "?", sql)  # savepoint names
    sql = re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)
    return re.sub(r"\(\?(?:, \?)*\)", "(?...)", sql)


def work_of(request) -> tuple[list[str], list[str], int]:
    """What answering `request()` did: its SQL statements, the tasks it enqueued, its status."""
    enqueued: list[str] = []

    def publish(task, *args, **kwargs):
        enqueued.append(task.name)

    with (
        mock.patch.object(Task, "apply_async", publish),
        CaptureQueriesContext(connection) as queries,
    ):
        response = request()
    return [statement_shape(query["sql"]) for query in queries], enqueued, response.status_code


@pytest.fixture
def owner():
    return User.objects.create_user(
        phone="+919876543210", email="asha@example.com", password=GOOD_PASSWORD
    )


def ask_reset_code(destination: str):
    if "@" in destination:
        typed = {"method": "email", "email": destination}
    else:
        typed = {"method": "phone", "country": "IN", "phone": destination}
    return lambda: Client().post(
        "/accounts/password/reset/",
        {"action": "send", "captcha_0": "x", "captcha_1": "PASSED", **typed},
    )


@pytest.mark.parametrize(
    ("known", "unknown"), [(OWNER, STRANGER), ("asha@example.com", "ravi@example.com")]
)
def test_reset_send_code_does_the_same_work_for_an_unknown_contact(owner, known, unknown):
    existing = work_of(ask_reset_code(known))
    nobody = work_of(ask_reset_code(unknown))
    assert existing[2] == nobody[2] == 200
    assert existing[1] == nobody[1], "the same tasks go to the worker"
    assert existing[0] == nobody[0], "the same SQL statements, in the same order"


def web_sign_in(client: Client, login: str):
    return client.post("/accounts/login/", {"login": login, "password": "Wrong!Kite42x"})


def device_sign_in(client: Client, login: str):
    device = {"name": "Phone", "model": "Redmi", "platform": "android", "hardware_id": "hardware-1"}
    return client.post(
        "/api/v1/device/sign-in/",
        {"login": login, "password": "Wrong!Kite42x", "country": "IN", "device": device},
        content_type="application/json",
    )


@pytest.mark.parametrize(("door", "status"), [(web_sign_in, 200), (device_sign_in, 401)])
def test_a_wrong_password_does_the_same_work_for_an_unknown_phone(owner, door, status):
    browser_of = {OWNER: Client(), STRANGER: Client()}

    def wrong_password(phone: str):
        return lambda: door(browser_of[phone], phone)

    for attempt in ("first", "second"):  # the second finds a failure counted already
        existing = work_of(wrong_password(OWNER))
        unknown = work_of(wrong_password(STRANGER))
        assert existing[2] == unknown[2] == status, attempt
        assert existing[1] == unknown[1], f"{attempt} try: the same tasks go to the worker"
        assert existing[0] == unknown[0], f"{attempt} try: the same SQL statements, in order"


def test_sign_up_send_code_does_the_same_work_for_a_taken_phone(owner):
    def ask_sign_up_code(phone: str):
        return lambda: Client().post(
            "/accounts/signup/",
            {
                "action": "send",
                "method": "phone",
                "country": "IN",
                "phone": phone,
                "captcha_0": "x",
                "captcha_1": "PASSED",
            },
        )

    taken = work_of(ask_sign_up_code(OWNER))
    free = work_of(ask_sign_up_code(STRANGER))
    assert taken[2] == free[2] == 200
    assert taken[1] == free[1]
    assert taken[0] == free[0]
