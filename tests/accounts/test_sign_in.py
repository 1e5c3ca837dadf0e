"""Sign-in with a phone number, email or account ID; generic errors; per-identifier limits."""

import pytest
from django.test import Client

from accounts.models import User
from accounts.rules.failed_passwords import failed_sign_ins
from tests.helpers import sign_in, sign_up

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def phone_user(phone_client) -> User:
    return User.objects.get(phone="+919876543210")


@pytest.fixture
def email_user(email_client) -> User:
    return User.objects.get(email="asha@example.com")


def signed_in_as(client) -> str | None:
    response = client.get("/account/")
    return response.context["user"].account_id if response.status_code == 200 else None


@pytest.mark.parametrize(
    ("login", "country"),
    [
        ("+919876543210", "IN"),
        ("+91 98765 43210", "US"),
        ("98765 43210", "IN"),
        ("098765-43210", "IN"),
    ],
)
def test_sign_in_with_the_phone_number(client, phone_user, login, country):
    response = sign_in(client, login, country=country)
    assert response.status_code == 302 and response.url == "/account/"
    assert signed_in_as(client) == phone_user.account_id


def test_sign_in_with_the_email_in_any_case(client, email_user):
    assert sign_in(client, "ASHA@example.com").status_code == 302
    assert signed_in_as(client) == email_user.account_id


@pytest.mark.parametrize("fixture", ["phone_user", "email_user"])
def test_sign_in_with_the_account_id(client, request, fixture):
    user = request.getfixturevalue(fixture)
    assert sign_in(client, user.account_id).status_code == 302
    assert signed_in_as(client) == user.account_id


def test_sign_out_ends_the_session(client, phone_user):
    sign_in(client, "+919876543210")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_as(client) is None
    assert client.get("/account/").url.startswith("/accounts/login/")


def _error_of(response) -> str:
    return " ".join(str(e) for e in response.context["form"].non_field_errors())


def test_wrong_password_and_unknown_account_get_the_same_generic_answer(client, phone_user):
    wrong_password = sign_in(client, "+919876543210", password="Wrong!Pass9")
    unknown_phone = sign_in(Client(), "+919876543219", password="Wrong!Pass9")
    unknown_email = sign_in(Client(), "nobody@example.com", password="Wrong!Pass9")
    unknown_id = sign_in(Client(), "1234567890", password="Wrong!Pass9")
    nonsense = sign_in(Client(), "not-an-identifier", password="Wrong!Pass9")
    answers = {
        _error_of(r) for r in (wrong_password, unknown_phone, unknown_email, unknown_id, nonsense)
    }
    assert len(answers) == 1
    assert "don't match" in answers.pop()
    assert {r.status_code for r in (wrong_password, unknown_phone, unknown_id)} == {200}


def test_failed_sign_ins_for_one_phone_number_do_not_lock_out_another(client):
    sign_up(Client(), phone="98765 43210")
    sign_up(Client(), phone="98765 43211")
    for _ in range(6):
        response = sign_in(Client(REMOTE_ADDR="10.0.0.1"), "+919876543210", password="Wrong!Pass9")
    assert "Too many failed sign-in attempts" in _error_of(response)

    response = sign_in(Client(REMOTE_ADDR="10.0.0.2"), "+919876543211")
    assert response.status_code == 302


def test_failed_sign_ins_lock_the_number_that_was_attacked(client):
    sign_up(Client(), phone="98765 43210")
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="10.0.0.1"), "+919876543210", password="Wrong!Pass9")
    response = sign_in(Client(REMOTE_ADDR="10.0.0.3"), "+919876543210")
    assert "Too many failed sign-in attempts" in _error_of(response)


def test_the_sign_in_page_has_the_labelled_fields(client):
    page = client.get("/accounts/login/").content.decode()
    for label in ("Phone number, email or account ID", "Password", "Country/Region"):
        assert f">{label}</label>" in page
    assert ">Sign in</button>" in page


def test_an_empty_sign_in_form_explains_itself(client):
    response = client.post("/accounts/login/", {"login": "", "password": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["login"] and response.context["form"].errors["password"]


def test_failures_count_against_the_account_whichever_identifier_is_typed(phone_user):
    for login in [
        "+919876543210",
        phone_user.account_id,
        "98765 43210",
        phone_user.account_id,
        "+91 98765 43210",
    ]:
        sign_in(Client(REMOTE_ADDR="10.0.0.1"), login, password="Wrong!Pass9")
    response = sign_in(Client(REMOTE_ADDR="10.0.0.3"), phone_user.account_id)
    assert "Too many failed sign-in attempts" in _error_of(response)


def test_ten_digits_that_name_two_accounts_count_against_both_yet_their_owners_get_in():
    """9876543210 is the phone (in national format) of one account; make it another's ID."""
    phone_owner, email_owner = Client(), Client()
    sign_up(phone_owner, phone="98765 43210")
    sign_up(email_owner, email="ravi@example.com")
    for owner in (phone_owner, email_owner):
        owner.post("/accounts/logout/")
    other = User.objects.get(email="ravi@example.com")
    User.objects.filter(pk=other.pk).update(account_id="9876543210")
    for _ in range(6):
        sign_in(Client(REMOTE_ADDR="10.0.0.1"), "9876543210", password="Wrong!Pass9")
    assert [failed_sign_ins(user) for user in User.objects.all()] == [5, 5]
    # Browsers that signed in to an account before skip the delay strangers have caused.
    assert sign_in(phone_owner, "+919876543210").status_code == 302
    assert sign_in(email_owner, "ravi@example.com").status_code == 302
