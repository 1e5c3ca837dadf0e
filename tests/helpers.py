"""Helpers that drive the portal through its front door (the test client)."""

import re
import time

from verification.models import DevOutboxMessage

GOOD_PASSWORD = "Blue!Kite42x"
STAFF_PASSWORD = "Ledger!Moon2026"


def last_message_to(to: str, wait: float = 10) -> DevOutboxMessage:
    """The newest message to `to`; waits a little for it when a real worker delivers."""
    deadline = time.monotonic() + wait
    while True:
        message = DevOutboxMessage.objects.filter(to=to).order_by("-created_at", "-pk").first()
        if message is not None or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert message is not None, f"nothing was sent to {to}"
    return message


def code_sent_to(to: str) -> str:
    match = re.search(r"\b(\d{6})\b", last_message_to(to).body)
    assert match, "the last message has no code"
    return match.group(1)


def send_code(client, *, phone=None, country="IN", email=None, captcha="PASSED"):
    data = {"action": "send", "captcha_0": "test", "captcha_1": captcha}
    if email is not None:
        data |= {"method": "email", "email": email}
    else:
        data |= {"method": "phone", "country": country, "phone": phone}
    return client.post("/accounts/signup/", data)


def create_account(
    client,
    *,
    code,
    phone=None,
    country="IN",
    email=None,
    password=GOOD_PASSWORD,
    password2=None,
    terms=True,
):
    data = {
        "action": "create",
        "code": code,
        "password1": password,
        "password2": password if password2 is None else password2,
    }
    if terms:
        data["terms"] = "on"
    if email is not None:
        data |= {"method": "email", "email": email}
    else:
        data |= {"method": "phone", "country": country, "phone": phone}
    return client.post("/accounts/signup/", data)


def sign_up(client, *, phone=None, email=None, country="IN", password=GOOD_PASSWORD):
    response = send_code(client, phone=phone, email=email, country=country)
    assert response.status_code == 200, response.content.decode()[:2000]
    destination = client.session["portal_signup"]["destination"]
    return create_account(
        client,
        code=code_sent_to(destination),
        phone=phone,
        email=email,
        country=country,
        password=password,
    )


def sign_in(client, login, password=GOOD_PASSWORD, country="IN"):
    return client.post(
        "/accounts/login/", {"login": login, "password": password, "country": country}
    )


def app_code(key: str) -> str:
    """The authenticator app's code, from a 30-second step with over two seconds left, so the
    portal checks it in the same step however busy the machine is (a frozen clock gives the code
    of its moment)."""
    import time

    import pyotp

    left = 30 - time.time() % 30
    if left < 2:
        time.sleep(left + 0.1)
    return pyotp.TOTP(key).at(time.time())


def with_second_factor(client, password: str = STAFF_PASSWORD) -> str:
    """Turn on the authenticator app for the signed-in client; returns its key."""
    client.post("/account/verify/?next=/", {"method": "password", "password": password})
    key = client.get("/accounts/2fa/totp/activate/").context["form"].secret
    assert client.post("/accounts/2fa/totp/activate/", {"code": app_code(key)}).status_code == 302
    return key


def with_sms_second_factor(client, phone: str, password: str = GOOD_PASSWORD) -> None:
    """Turn on two-factor by SMS for the signed-in client (the code goes to `phone`)."""
    client.post("/account/verify/?next=/", {"method": "password", "password": password})
    client.post("/account/two-factor/sms/", {"action": "send"})
    done = client.post(
        "/account/two-factor/sms/", {"action": "verify", "code": code_sent_to(phone)}
    )
    assert done.status_code == 302
