"""The password policy as a checklist on every page that takes a new password, in the page's
language, with every error of a submit at once."""

import re

import pytest
from django.test import Client

from tests.helpers import GOOD_PASSWORD, sign_up

pytestmark = pytest.mark.django_db(transaction=True)


def test_change_password_in_hindi_has_the_checklist_and_no_english_placeholders():
    client = Client(HTTP_ACCEPT_LANGUAGE="hi")
    sign_up(client, phone="98765 43210")
    page = client.get("/accounts/password/change/").content.decode()
    assert "placeholder=" not in page
    assert "data-password-rules" in page and 'data-check="min:8"' in page
    assert "password_rules.js" in page
    # The rules are in Hindi, like the rest of the page.
    rules = re.search(r"<ul class=\"rules\".*?</ul>", page, re.S).group(0)
    assert "कम से कम 8" in rules, rules


def test_change_password_gives_a_mismatch_and_the_policys_errors_at_once():
    client = Client()
    sign_up(client, phone="98765 43210")
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": GOOD_PASSWORD, "password1": "short", "password2": "other"},
    )
    page = response.content.decode()
    assert "too short" in page and "don&#x27;t match" in page
