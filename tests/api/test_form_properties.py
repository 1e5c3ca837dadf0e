"""Property-based tests (hypothesis) of every form page: whatever a person or a script posts,
the page answers without a 500, and every error it shows belongs to a field of the form (or
to the form as a whole)."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import GOOD_PASSWORD

TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "0" * 6, "+919876543210", "a@b.c", "PASSED", "\x00", "é" * 300]),
)

# Each form page, the fields it posts, and the context names of its forms.
PAGES = {
    "signup-send": (
        "/accounts/signup/",
        ["method", "action", "country", "phone", "email", "captcha_0", "captcha_1"],
    ),
    "signup-create": (
        "/accounts/signup/",
        ["method", "action", "code", "password1", "password2", "terms"],
    ),
    "sign-in": ("/accounts/login/", ["login", "password", "country", "remember"]),
    "password-reset": (
        "/accounts/password/reset/",
        [
            "method",
            "action",
            "country",
            "phone",
            "email",
            "code",
            "password1",
            "password2",
            "account_id",
            "captcha_0",
            "captcha_1",
        ],
    ),
    "recovery-email": ("/account/recovery/email/", ["action", "email", "code"]),
    "recovery-phone": ("/account/recovery/phone/", ["action", "country", "phone", "code"]),
    "verify": ("/account/verify/?next=/", ["method", "action", "password", "code"]),
    "cloud": ("/cloud/", ["category", "enabled", "data"]),
    "sessions": ("/account/sessions/", ["action", "session"]),
}
SIGNED_IN = {"recovery-email", "recovery-phone", "verify", "cloud", "sessions"}


def posts(fields: list[str]):
    return st.fixed_dictionaries({}, optional={field: TEXT for field in fields})


@pytest.fixture
def person(transactional_db, phone_client):
    """The signed-up client, having just confirmed it is them with the password."""
    phone_client.post("/account/verify/?next=/", {"method": "password", "password": GOOD_PASSWORD})
    return phone_client


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_form_page_never_fails_whatever_is_posted(page, person):
    path, fields = PAGES[page]
    client = person if page in SIGNED_IN else Client()

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=posts(fields))
    def post_anything(data):
        data = {key: value.replace("\x00", "") for key, value in data.items()}
        response = client.post(path, data)
        assert response.status_code < 500, (page, data)
        for form in _forms(response):
            assert set(form.errors) <= set(form.fields) | {"__all__"}, (page, form.errors)

    post_anything()


def _forms(response):
    context = getattr(response, "context", None) or {}
    found = []
    for key in ("form", "send_form", "create_form", "reset_form", "contact_form", "code_form"):
        try:
            form = context[key]
        except KeyError:
            continue
        if hasattr(form, "errors"):
            found.append(form)
    return found
