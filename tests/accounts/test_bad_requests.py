"""Whatever a client posts, the answer is a page that explains, never a server error; and no
code ever reaches the logs."""

import pytest

from tests.helpers import code_sent_to, create_account, send_code

pytestmark = pytest.mark.django_db(transaction=True)

ODD_POSTS = [
    {},
    {"action": "send"},
    {"action": "create"},
    {"action": "something-else", "method": "fax"},
    {
        "action": "send",
        "method": "phone",
        "country": "IN",
        "phone": "9" * 5000,
        "captcha_0": "x",
        "captcha_1": "PASSED",
    },
    {
        "action": "send",
        "method": "email",
        "email": "a@" + "b" * 5000 + ".com",
        "captcha_0": "x",
        "captcha_1": "PASSED",
    },
    {
        "action": "send",
        "method": "phone",
        "country": "<script>",
        "phone": "\x00\x01",
        "captcha_0": "",
        "captcha_1": "",
    },
    {
        "action": "create",
        "method": "phone",
        "country": "IN",
        "phone": "98765 43210",
        "code": "abcdef",
        "password1": "x",
        "password2": "y",
    },
    {
        "action": "create",
        "method": "email",
        "email": "asha@example.com",
        "code": "1" * 500,
        "password1": "Blue!Kite42x",
        "password2": "Blue!Kite42x",
        "terms": "on",
    },
]


@pytest.mark.parametrize("data", ODD_POSTS)
def test_odd_sign_up_posts_get_a_page_not_a_server_error(client, data):
    response = client.post("/accounts/signup/", data)
    assert response.status_code in (200, 400)
    assert b"Create account" in response.content


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"login": "x" * 5000, "password": "y"},
        {"login": "+", "password": "y", "country": "ZZ"},
        {"login": "\x00", "password": "\x00"},
    ],
)
def test_odd_sign_in_posts_get_a_page_not_a_server_error(client, data):
    response = client.post("/accounts/login/", data)
    assert response.status_code in (200, 400)


def test_the_account_page_needs_a_signed_in_person(client):
    response = client.get("/account/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_no_code_reaches_the_logs_during_a_sign_up(client, caplog):
    caplog.set_level("DEBUG")
    send_code(client, phone="98765 43210")
    code = code_sent_to("+919876543210")
    create_account(client, code=code, phone="98765 43210")
    assert caplog.records, "the flow logs something (the delivery task at least)"
    assert code not in caplog.text
