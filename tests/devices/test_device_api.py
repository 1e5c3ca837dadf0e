"""The device and portal APIs over real HTTP: enroll, report, command, acknowledge, result."""

import time
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import SecurityEvent, User
from devices import commands, enrolment, last_seen, locations
from devices.models import Command, Device, Location
from devices.queries import location_inserts
from tests.devices.api_clients import PHONE, Phone, Portal
from tests.helpers import app_code, sign_up
from verification.models import DevOutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def fix(minutes_ago: float = 0, lat: float = 12.9716, lon: float = 77.5946, **extra) -> dict:
    taken = timezone.now() - timedelta(minutes=minutes_ago)
    return {
        "lat": lat,
        "lon": lon,
        "accuracy": 15,
        "battery": 80,
        "taken_at": taken.isoformat(),
    } | extra


def test_a_whole_find_device_round_trip_for_every_command(owner: Portal, phone: Phone):
    device_id = phone.enroll(PHONE)
    batch = [fix(3, lat=12.97), fix(2, lat=12.98), fix(1, lat=12.99)]
    stored = phone.call("POST", "locations/", json={"locations": batch + batch[:1]})
    assert stored.status_code == 202 and stored.json() == {"stored": 3}
    assert Location.objects.count() == 3

    listed = owner.api("GET", "devices/").json()
    assert [d["id"] for d in listed] == [device_id]
    assert (
        listed[0]["last_location"]["lat"] == 12.99 and listed[0]["last_location"]["battery"] == 80
    )

    owner.confirm_with_password()  # erase needs a fresh confirmation
    for kind, extra in [
        ("locate", {}),
        ("ring", {}),
        ("lock", {"message": "Lost phone, please call", "phone": "+91 91234 56789"}),
        ("erase", {}),
    ]:
        issued = owner.api("POST", f"devices/{device_id}/commands/", json={"kind": kind, **extra})
        assert issued.status_code == 202, issued.text
        command = issued.json()
        assert command["state"] == "pending"

        pending = phone.call("GET", "commands/").json()
        assert [c["id"] for c in pending] == [command["id"]]
        if kind == "lock":
            assert pending[0]["payload"] == {
                "message": "Lost phone, please call",
                "phone": "+91 91234 56789",
            }
        assert phone.call("POST", f"commands/{command['id']}/ack/").json()["state"] == "delivered"
        assert owner.api("GET", f"commands/{command['id']}/").json()["state"] == "delivered"
        done = phone.call("POST", f"commands/{command['id']}/result/", json={"result": "succeeded"})
        assert done.json()["state"] == "succeeded"
        assert owner.api("GET", f"commands/{command['id']}/").json()["state"] == "succeeded"
        assert phone.call("GET", "commands/").json() == []

    device = owner.api("GET", f"devices/{device_id}/").json()
    assert device["erased"] is True
    assert [c["state"] for c in device["commands"]] == ["succeeded"] * 4
    user = User.objects.get(phone=PHONE)
    states = user.security_events.filter(kind=SecurityEvent.Kind.DEVICE_COMMAND).values_list(
        "detail", flat=True
    )
    assert {"device": "Asha's phone", "command": "Erase", "state": "Succeeded"} in list(states)


def test_erase_needs_a_fresh_confirmation_and_sends_a_notice_everywhere(owner: Portal, phone):
    device_id = phone.enroll(PHONE)
    refused = owner.api("POST", f"devices/{device_id}/commands/", json={"kind": "erase"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "reauthentication_required"
    assert refused.json()["reauthenticate_url"].startswith("/account/verify/?factor=2")
    assert not Command.objects.exists()
    owner.confirm_with_password()
    assert (
        owner.api("POST", f"devices/{device_id}/commands/", json={"kind": "erase"}).status_code
        == 202
    )
    assert DevOutboxMessage.objects.filter(to=PHONE, body__contains="erase").exists()


def test_the_same_idempotency_key_makes_one_command(owner, phone):
    device_id = phone.enroll(PHONE)
    answers = [
        owner.api(
            "POST",
            f"devices/{device_id}/commands/",
            json={"kind": "ring"},
            headers={"Idempotency-Key": "c0ffee-1"},
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [202, 200]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert Command.objects.count() == 1
    assert Device.objects.get().open_commands == 1


def test_a_key_used_for_another_command_is_refused(owner, phone):
    device_id = phone.enroll(PHONE)
    other_id = phone.enroll(PHONE, hardware="imei-tablet-0001")
    key = {"Idempotency-Key": "c0ffee-2"}
    first = owner.api("POST", f"devices/{device_id}/commands/", json={"kind": "ring"}, headers=key)
    assert first.status_code == 202
    for path, body in [
        (f"devices/{device_id}/commands/", {"kind": "locate"}),
        (f"devices/{other_id}/commands/", {"kind": "ring"}),
    ]:
        answer = owner.api("POST", path, json=body, headers=key)
        assert answer.status_code == 422 and "Idempotency-Key" in answer.json()
    assert Command.objects.count() == 1


def test_a_lock_needs_a_message_and_a_contact_number_in_digits(owner, phone):
    device_id = phone.enroll(PHONE)
    path = f"devices/{device_id}/commands/"
    for body, field in [
        ({"kind": "lock", "message": " "}, "message"),
        ({"kind": "lock", "message": "Lost", "phone": "abc!!"}, "phone"),
        ({"kind": "lock", "message": "x" * 201}, "message"),
    ]:
        answer = owner.api("POST", path, json=body)
        assert answer.status_code == 400 and field in answer.json()
    good = {"kind": "lock", "message": "Lost", "phone": "+91 98765 43210"}
    assert owner.api("POST", path, json=good).status_code == 202

    page = f"{owner.base}/devices/{device_id}/command/"
    form = {"kind": "lock", "message": "Lost", "phone": "call me"}
    form["csrfmiddlewaretoken"] = owner.csrf
    refused = owner.http.post(page, data=form, timeout=10)
    assert "Enter the contact number in digits" in refused.text
    assert Command.objects.count() == 1


def test_repeated_acks_and_results_are_harmless_and_a_conflict_is_409(owner, phone):
    device_id = phone.enroll(PHONE)
    command = owner.api("POST", f"devices/{device_id}/commands/", json={"kind": "locate"}).json()
    for _ in range(2):
        assert phone.call("POST", f"commands/{command['id']}/ack/").status_code == 200
    for _ in range(2):
        failed = phone.call(
            "POST",
            f"commands/{command['id']}/result/",
            json={"result": "failed", "detail": "no GPS"},
        )
        assert failed.status_code == 200 and failed.json()["detail"] == "no GPS"
    conflict = phone.call("POST", f"commands/{command['id']}/result/", json={"result": "succeeded"})
    assert conflict.status_code == 409
    assert Device.objects.get().open_commands == 0


def test_a_pending_command_can_be_cancelled_and_then_the_device_never_sees_it(owner, phone):
    device_id = phone.enroll(PHONE)
    command = owner.api("POST", f"devices/{device_id}/commands/", json={"kind": "ring"}).json()
    assert owner.api("POST", f"commands/{command['id']}/cancel/").json()["state"] == "cancelled"
    assert owner.api("POST", f"commands/{command['id']}/cancel/").status_code == 409
    assert phone.call("GET", "commands/").json() == []
    late = phone.call("POST", f"commands/{command['id']}/result/", json={"result": "succeeded"})
    assert late.status_code == 409


def test_nobody_else_sees_or_commands_a_device(live_server, owner, phone):
    device_id = phone.enroll(PHONE)
    command = owner.api("POST", f"devices/{device_id}/commands/", json={"kind": "ring"}).json()
    sign_up(Client(), email="ravi@example.com")
    stranger = Portal(live_server.url)
    stranger.sign_in("ravi@example.com")
    for method, path, body in [
        ("GET", f"devices/{device_id}/", None),
        ("DELETE", f"devices/{device_id}/", None),
        ("POST", f"devices/{device_id}/commands/", {"kind": "ring"}),
        ("GET", f"commands/{command['id']}/", None),
        ("POST", f"commands/{command['id']}/cancel/", None),
    ]:
        assert stranger.api(method, path, json=body).status_code == 404, (method, path)
    assert stranger.api("GET", "devices/").json() == []
    for page in (f"/devices/{device_id}/", f"/devices/{device_id}/erase/"):
        answer = stranger.http.get(live_server.url + page, timeout=10, allow_redirects=False)
        assert answer.status_code in (302, 404)
        assert (
            device_id not in answer.headers.get("Location", "")
            or "verify" in answer.headers["Location"]
        )
    other_phone = Phone(live_server.url)
    other_phone.enroll("ravi@example.com", hardware="imei-490154203237518")
    assert other_phone.call("POST", f"commands/{command['id']}/ack/").status_code == 404
    assert other_phone.call("GET", "commands/").json() == []


def test_a_revoked_or_replaced_token_gets_401(live_server, owner, phone):
    phone.enroll(PHONE)
    old_token = phone.token
    phone.enroll(PHONE)  # the same hardware again: a new token replaces the old one
    assert Device.objects.count() == 1
    assert Phone(live_server.url, old_token).call("GET", "commands/").status_code == 401
    assert phone.call("GET", "commands/").status_code == 200
    enrolment.revoke_device_tokens(user=User.objects.get(phone=PHONE))
    revoked = phone.call("GET", "commands/")
    assert revoked.status_code == 401 and revoked.headers["WWW-Authenticate"].startswith("Token")
    assert Phone(live_server.url, "garbage").call("GET", "commands/").status_code == 401
    assert requests_without_header(live_server.url).status_code == 401


def requests_without_header(base):
    return requests.get(f"{base}/api/v1/device/commands/", timeout=10)


def test_a_device_signs_in_with_a_wrong_password_gets_the_generic_answer(owner, phone):
    wrong = phone.sign_in(PHONE, password="Wrong!Pass9")
    unknown = phone.sign_in("+919876543219", password="Wrong!Pass9")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "don't match" in wrong.json()["detail"]


def test_bad_location_reports_get_a_400_naming_the_field(owner, phone):
    phone.enroll(PHONE)
    cases = [
        ({"locations": [fix(lat=91)]}, "lat"),
        ({"locations": [fix(lon=-181)]}, "lon"),
        ({"locations": [fix(accuracy=-1)]}, "accuracy"),
        ({"locations": [fix(battery=101)]}, "battery"),
        ({"locations": [fix(minutes_ago=-60)]}, "taken_at"),
        ({"locations": [fix(taken_at="yesterday")]}, "taken_at"),
    ]
    for body, field in cases:
        answer = phone.call("POST", "locations/", json=body)
        assert answer.status_code == 400, body
        errors = answer.json()["locations"]
        first = errors[0] if isinstance(errors, list) else errors["0"]
        assert field in first, errors
    assert phone.call("POST", "locations/", json={"locations": []}).status_code == 400
    malformed = requests.post(
        f"{phone.base}/api/v1/device/locations/",
        data="{not json",
        headers={"Authorization": f"Token {phone.token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert malformed.status_code == 400 and "detail" in malformed.json()
    assert Location.objects.count() == 0


def test_find_device_off_refuses_locations(owner, phone):
    phone.enroll(PHONE)
    assert phone.call("PUT", "find-device/", json={"enabled": False}).json() == {"enabled": False}
    assert phone.call("POST", "locations/", json={"locations": [fix()]}).status_code == 409
    assert owner.api("GET", "devices/").json()[0]["find_device_enabled"] is False
    assert phone.call("PUT", "find-device/", json={"enabled": "maybe"}).status_code == 400


def test_an_erased_device_stays_locked_to_its_owner_until_removed(live_server, owner, phone):
    device_id = phone.enroll(PHONE)
    owner.confirm_with_password()
    command = owner.api("POST", f"devices/{device_id}/commands/", json={"kind": "erase"}).json()
    phone.call("POST", f"commands/{command['id']}/result/", json={"result": "succeeded"})
    sign_up(Client(), email="thief@example.com")
    thief = Phone(live_server.url).sign_in("thief@example.com")
    assert thief.status_code == 409
    owner.confirm_with_password()
    assert owner.api("DELETE", f"devices/{device_id}/").status_code == 204
    assert Phone(live_server.url).sign_in("thief@example.com").status_code == 201


def test_removing_a_device_needs_a_fresh_confirmation_and_deletes_its_locations(owner, phone):
    device_id = phone.enroll(PHONE)
    phone.call("POST", "locations/", json={"locations": [fix()]})
    assert owner.api("DELETE", f"devices/{device_id}/").status_code == 403
    owner.confirm_with_password()
    assert owner.api("DELETE", f"devices/{device_id}/").status_code == 204
    assert not Location.objects.exists()
    assert phone.call("GET", "commands/").status_code == 401


def _seen_minutes_ago(minutes: int) -> None:
    Device.objects.update(last_seen_at=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.services
def test_polling_with_nothing_pending_costs_one_query_and_the_seen_time_follows_by_beat(
    owner, phone
):
    phone.enroll(PHONE)
    _seen_minutes_ago(5)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {phone.token}")
    for _ in range(2):  # the first poll of the minute notes the time in Redis
        with CaptureQueriesContext(connection) as queries:
            answer = client.get("/api/v1/device/commands/")
        assert answer.status_code == 200 and answer.json() == []
        assert len(queries) == 1, [q["sql"] for q in queries]
    polled_at = timezone.now()
    assert polled_at - Device.objects.get().last_seen_at > timedelta(minutes=4)

    # The process's thread writes the noted time to Redis within a second, by itself.
    client, key = last_seen._seen_store()
    deadline = time.monotonic() + 5
    while not client.hexists(key, str(Device.objects.get().pk)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.hexists(key, str(Device.objects.get().pk))
    assert last_seen.write_last_seen() == 1
    assert polled_at - Device.objects.get().last_seen_at < timedelta(seconds=5)
    assert last_seen.write_last_seen() == 0  # nothing new


@pytest.mark.services
def test_a_seen_time_never_goes_back_and_a_copy_cut_short_is_finished_next_time(owner, phone):
    phone.enroll(PHONE)
    _seen_minutes_ago(5)
    phone.call("GET", "commands/")
    assert last_seen.seen_times.flush() == 1
    client, key = last_seen._seen_store()
    client.rename(key, key + ":writing")  # a copy that stopped before writing anything
    later = timezone.now() + timedelta(minutes=3)
    Device.objects.update(last_seen_at=later)  # a location report in the meantime
    assert last_seen.write_last_seen() == 1
    assert Device.objects.get().last_seen_at == later
    assert not client.exists(key + ":writing")


def test_last_seen_times_a_write_did_not_take_are_kept_for_the_next(monkeypatch):
    noted = last_seen.SeenTimes(every=3600)  # its thread waits; the test flushes
    noted.add(1, 100.0)
    noted.add(2, 100.0)
    written: list[dict] = []

    def away_once(times: dict) -> None:
        if not written:
            written.append({})
            raise RuntimeError("Redis and the database are both away")
        written.append(dict(times))

    monkeypatch.setattr(last_seen.SeenTimes, "_write", staticmethod(away_once))
    with pytest.raises(RuntimeError):
        noted.flush()
    noted.add(2, 160.0)  # noted meanwhile: the later time is the one kept
    assert noted.flush() == 2
    assert written[1] == {1: 100.0, 2: 160.0}
    assert noted.flush() == 0


def test_without_redis_a_poll_writes_the_seen_time_to_the_row(owner, phone, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    phone.enroll(PHONE)
    _seen_minutes_ago(5)
    assert phone.call("GET", "commands/").json() == []
    assert timezone.now() - Device.objects.get().last_seen_at < timedelta(seconds=5)
    assert last_seen.write_last_seen() == 0


@pytest.mark.services
def test_while_redis_is_away_a_poll_writes_the_seen_time_to_the_row(owner, phone, settings):
    from tests.processes import free_port

    phone.enroll(PHONE)
    _seen_minutes_ago(5)
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    assert phone.call("GET", "commands/").json() == []
    last_seen.seen_times.flush()  # as the process's thread does within a second
    assert timezone.now() - Device.objects.get().last_seen_at < timedelta(seconds=5)


def test_beat_jobs_purge_old_locations_and_expire_stale_commands(owner, phone, settings):
    device_id = phone.enroll(PHONE)
    phone.call("POST", "locations/", json={"locations": [fix(60 * 24 * 6), fix(1)]})
    locate = owner.api("POST", f"devices/{device_id}/commands/", json={"kind": "locate"}).json()
    lock = owner.api(
        "POST", f"devices/{device_id}/commands/", json={"kind": "lock", "message": "Lost"}
    ).json()
    later = timezone.now() + timedelta(days=2)
    assert locations.purge_old_locations(now=later) == 1
    assert commands.expire_commands(now=later) == 1
    assert Command.objects.get(public_id=locate["id"]).state == "expired"
    assert Command.objects.get(public_id=lock["id"]).state == "pending"  # waits for the device
    assert Device.objects.get().open_commands == 1


def test_the_api_is_described_in_the_openapi_schema(client):
    schema = client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/device/sign-in/",
        "/api/v1/device/sign-up/captcha/",
        "/api/v1/device/sign-up/code/",
        "/api/v1/device/sign-up/",
        "/api/v1/device/locations/",
        "/api/v1/device/commands/",
        "/api/v1/devices/{device_id}/commands/",
    ):
        assert path in schema
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and "/static/drf_spectacular_sidecar/" in docs.content.decode()


def test_a_device_signs_in_with_the_second_factor_by_app_or_sms(owner, phone, settings):

    from tests.helpers import code_sent_to

    settings.VERIFICATION_RESEND_COOLDOWN = 0
    client = Client()
    client.force_login(User.objects.get(phone=PHONE))
    client.post("/account/verify/?next=/", {"method": "password", "password": "Blue!Kite42x"})
    client.post("/account/two-factor/sms/", {"action": "send"})
    client.post("/account/two-factor/sms/", {"action": "verify", "code": code_sent_to(PHONE)})
    # Turning on SMS codes proved the second factor: adding the app needs nothing more now.
    key = client.get("/accounts/2fa/totp/activate/").context["form"].secret
    client.post("/accounts/2fa/totp/activate/", {"code": app_code(key)})

    first = phone.sign_in(PHONE)
    assert first.status_code == 200 and first.json()["methods"] == ["app", "sms"]
    flow = first.json()["flow"]
    url = f"{phone.base}/api/v1/device/sign-in/second-factor/"
    wrong = requests.post(url, json={"flow": flow, "method": "app", "code": "000000"}, timeout=10)
    assert wrong.status_code == 400 and "code" in wrong.json()
    sent = requests.post(url, json={"flow": flow, "method": "sms", "action": "send"}, timeout=10)
    assert sent.status_code == 202
    code = code_sent_to(PHONE)
    done = requests.post(url, json={"flow": flow, "method": "sms", "code": code}, timeout=10)
    assert done.status_code == 201 and done.json()["token"]
    reused = requests.post(url, json={"flow": flow, "method": "sms", "code": code}, timeout=10)
    assert reused.status_code == 400
    by_app = phone.sign_in(PHONE, hardware="imei-tablet-0001").json()["flow"]
    app = requests.post(
        url, json={"flow": by_app, "method": "app", "code": app_code(key)}, timeout=10
    )
    assert app.status_code == 201
    forged = requests.post(url, json={"flow": "x" + flow, "method": "app", "code": "1"}, timeout=10)
    assert forged.status_code == 400 and "flow" in forged.json()


def test_wrong_app_codes_from_a_device_are_limited_per_account(owner, phone):
    client = Client()
    client.force_login(User.objects.get(phone=PHONE))
    client.post("/account/verify/?next=/", {"method": "password", "password": "Blue!Kite42x"})
    key = client.get("/accounts/2fa/totp/activate/").context["form"].secret
    client.post("/accounts/2fa/totp/activate/", {"code": app_code(key)})
    url = f"{phone.base}/api/v1/device/sign-in/second-factor/"
    devices = Device.objects.count()

    flow = phone.sign_in(PHONE).json()["flow"]
    for wrong in ("000000", "111111", "222222", "333333", "444444"):
        answer = requests.post(url, json={"flow": flow, "method": "app", "code": wrong}, timeout=10)
        assert answer.status_code == 400 and "code" in answer.json()
    # A new flow (the password again) does not start a new count; neither does the right code.
    again = phone.sign_in(PHONE, hardware="imei-tablet-0001").json()["flow"]
    right = requests.post(
        url, json={"flow": again, "method": "app", "code": app_code(key)}, timeout=10
    )
    assert right.status_code == 429 and "Wait a few minutes" in right.json()["detail"]
    assert Device.objects.count() == devices


def test_an_account_suspended_between_the_two_steps_is_not_enrolled(owner, phone, settings):
    from accounts.actions.moderation import moderate

    settings.VERIFICATION_RESEND_COOLDOWN = 0
    user = User.objects.get(phone=PHONE)
    client = Client()
    client.force_login(user)
    client.post("/account/verify/?next=/", {"method": "password", "password": "Blue!Kite42x"})
    key = client.get("/accounts/2fa/totp/activate/").context["form"].secret
    client.post("/accounts/2fa/totp/activate/", {"code": app_code(key)})
    flow = phone.sign_in(PHONE).json()["flow"]
    staff = User.objects.create_user(email="staff@example.com", is_staff=True, is_superuser=True)
    moderate(user=user, actor=staff, action="suspend", reason="Spam")
    url = f"{phone.base}/api/v1/device/sign-in/second-factor/"
    answer = requests.post(
        url, json={"flow": flow, "method": "app", "code": app_code(key)}, timeout=10
    )
    assert answer.status_code == 400 and "flow" in answer.json()
    assert not Device.objects.exists()


def test_devices_show_on_the_sessions_page_and_can_be_signed_out(owner, phone):
    phone.enroll(PHONE)
    client = Client()
    client.force_login(User.objects.get(phone=PHONE))
    page = client.get("/account/sessions/")
    assert [d["name"] for d in page.context["devices"]] == ["Asha's phone"]
    steps = {step.title: step for step in client.get("/account/").context["steps"]}
    assert steps["Find Device"].done
    client.post(page.context["devices"][0]["sign_out_url"])
    assert phone.call("GET", "commands/").status_code == 401
    assert client.get("/account/sessions/").context["devices"] == []


def test_the_device_api_takes_the_short_chain_with_the_headers_kept(owner, phone):
    phone.enroll(PHONE)
    session = owner.http.cookies.get("sessionid")
    answer = phone.call("GET", "commands/", headers={"Cookie": f"sessionid={session}"})
    assert answer.status_code == 200
    # No session was read or written, and the answer says so; the stateless middleware ran.
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert len(answer.headers["X-Request-ID"]) >= 8
    # A session alone is no device: the token is what counts.
    cookie_only = requests.get(
        f"{phone.base}/api/v1/device/commands/", cookies={"sessionid": session}, timeout=10
    )
    assert cookie_only.status_code == 401
    assert "Set-Cookie" not in cookie_only.headers
    # Errors still speak the device's language.
    refused = requests.get(
        f"{phone.base}/api/v1/device/commands/",
        headers={"Authorization": "Token nope", "Accept-Language": "hi"},
        timeout=10,
    )
    assert refused.status_code == 401 and refused.headers["Content-Language"] == "hi"


def test_a_plain_batch_and_one_written_loosely_are_stored_alike(owner, phone):
    phone.enroll(PHONE)
    newest = timezone.now() - timedelta(minutes=1)
    earlier = (newest - timedelta(minutes=2)).isoformat()
    older = fix(lat=12.5, lon=77, battery=None, taken_at=earlier)
    plain = [
        older,
        fix(lat=13.25, taken_at=newest.isoformat().replace("+00:00", "Z")),
        older,  # the same instant twice: stored once
    ]
    answer = phone.call("POST", "locations/", json={"locations": plain})
    assert answer.status_code == 202 and answer.json() == {"stored": 2}
    # Numbers as strings and a local time with its offset: the serializer reads them.
    loose = {
        "lat": "12.75",
        "lon": "77.5",
        "accuracy": "20",
        "battery": "55",
        "taken_at": (newest - timedelta(minutes=1)).astimezone().isoformat(),
    }
    answer = phone.call("POST", "locations/", json={"locations": [loose]})
    assert answer.status_code == 202 and answer.json() == {"stored": 1}
    stored = {
        (row.latitude, row.longitude, row.accuracy, row.battery, row.taken_at)
        for row in Location.objects.all()
    }
    assert stored == {
        (12.5, 77.0, 15.0, None, newest - timedelta(minutes=2)),
        (13.25, 77.5946, 15.0, 80, newest),
        (12.75, 77.5, 20.0, 55, newest - timedelta(minutes=1)),
    }
    device = Device.objects.get()
    assert (device.last_latitude, device.last_located_at) == (13.25, newest)
    # The same batch again stores nothing new and leaves the last location alone.
    assert phone.call("POST", "locations/", json={"locations": plain}).status_code == 202
    assert Location.objects.count() == 3
    assert Device.objects.get().last_located_at == newest


@pytest.mark.services
def test_a_location_report_is_one_write_that_does_not_wait_for_the_disk(owner, phone):
    phone.enroll(PHONE)
    client = Client(HTTP_AUTHORIZATION=f"Token {phone.token}")
    body = {"locations": [fix(minutes_ago=3, lat=12.5), fix(minutes_ago=1, lat=13.25)]}
    with CaptureQueriesContext(connection) as queries:
        answer = client.post("/api/v1/device/locations/", body, content_type="application/json")
    assert answer.status_code == 202 and answer.json() == {"stored": 2}
    # The device's row, then the fixes and the newest place in one transaction.
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert queries[1]["sql"].startswith("SET LOCAL synchronous_commit = off; INSERT INTO")
    assert "UPDATE" in queries[1]["sql"]
    with connection.cursor() as cursor:  # the setting ended with that transaction
        cursor.execute("SELECT current_setting('synchronous_commit')")
        assert cursor.fetchone() == ("on",)
    device = Device.objects.get()
    assert (device.last_latitude, Location.objects.count()) == (13.25, 2)

    older = {"locations": [fix(minutes_ago=2, lat=40.0)]}
    answer = client.post("/api/v1/device/locations/", older, content_type="application/json")
    assert answer.json() == {"stored": 1}
    assert Device.objects.get().last_latitude == 13.25  # an older fix is kept, not shown

    # One statement of the same parameters for any batch (psycopg then converts it once).
    now = timezone.now()
    one, most = (
        location_inserts(
            device,
            [locations.Fix(1.0, 2.0, 5.0, None, now - timedelta(seconds=i)) for i in range(n)],
        )
        for n in (1, 500)
    )
    assert len(one) == len(most) == 1 and one[0][0] == most[0][0]
    assert len(one[0][1]) == len(most[0][1]) == 7


def test_the_erase_page_refuses_an_erased_device_as_the_api_does(owner, phone):
    device_id = phone.enroll(PHONE)
    owner.confirm_with_password()
    erase = owner.api("POST", f"devices/{device_id}/commands/", json={"kind": "erase"}).json()
    phone.call("POST", f"commands/{erase['id']}/result/", json={"result": "succeeded"})
    notices = DevOutboxMessage.objects.filter(body__contains="erase").count()

    page = owner.http.get(f"{owner.base}/devices/{device_id}/erase/", timeout=10)
    again = owner.http.post(
        f"{owner.base}/devices/{device_id}/erase/",
        data={"confirm": "erase", "csrfmiddlewaretoken": owner.csrf},
        timeout=10,
    )
    assert page.url.endswith(f"/devices/{device_id}/") and again.url == page.url
    assert "This device was erased: it takes no more commands." in again.text
    by_api = owner.api("POST", f"devices/{device_id}/commands/", json={"kind": "erase"})
    assert by_api.status_code == 409
    assert Command.objects.filter(kind=Command.Kind.ERASE).count() == 1
    assert DevOutboxMessage.objects.filter(body__contains="erase").count() == notices


def test_a_lock_is_checked_the_same_on_the_page_and_the_api(owner, phone):
    device_id = phone.enroll(PHONE)
    page = owner.http.post(
        f"{owner.base}/devices/{device_id}/command/",
        data={"kind": "lock", "message": "  ", "csrfmiddlewaretoken": owner.csrf},
        timeout=10,
    )
    assert "Write the message to show on the locked screen." in page.text
    by_api = owner.api("POST", f"devices/{device_id}/commands/", json={"kind": "lock"})
    assert by_api.status_code == 400
    assert by_api.json() == {"message": ["Write the message to show on the locked screen."]}
    locked = owner.api(
        "POST",
        f"devices/{device_id}/commands/",
        json={"kind": "lock", "message": " Call me ", "phone": "+91 98765 00000"},
    )
    assert locked.json()["payload"] == {"message": "Call me", "phone": "+91 98765 00000"}
    assert not Command.objects.filter(payload={}, kind=Command.Kind.LOCK).exists()


def test_a_wrong_sms_code_from_a_device_is_in_the_security_log(owner, phone, settings):
    from tests.helpers import with_sms_second_factor

    settings.VERIFICATION_RESEND_COOLDOWN = 0
    user = User.objects.get(phone=PHONE)
    client = Client()
    client.force_login(user)
    with_sms_second_factor(client, PHONE)
    failed = SecurityEvent.Kind.SECOND_FACTOR_FAILED

    flow = phone.sign_in(PHONE).json()["flow"]
    url = f"{phone.base}/api/v1/device/sign-in/second-factor/"
    requests.post(url, json={"flow": flow, "method": "sms", "action": "send"}, timeout=10)
    wrong = requests.post(url, json={"flow": flow, "method": "sms", "code": "000000"}, timeout=10)
    assert wrong.status_code == 400
    assert wrong.json() == {"code": ["That code isn't right. Check the message and try again."]}
    assert user.security_events.filter(kind=failed).count() == 1
    assert "Set-Cookie" not in wrong.headers or "sessionid" not in wrong.headers["Set-Cookie"]


def test_json_nested_too_deeply_is_a_bad_request_not_an_error(owner, phone, caplog):
    phone.enroll(PHONE)
    nested = "[" * 100_000 + "]" * 100_000
    for path, headers in [
        ("sign-in/", {}),
        ("sign-in/second-factor/", {}),
        ("locations/", {"Authorization": f"Token {phone.token}"}),
    ]:
        answer = requests.post(
            f"{phone.base}/api/v1/device/{path}",
            data=nested,
            headers={"Content-Type": "application/json", **headers},
            timeout=30,
        )
        assert answer.status_code == 400, (path, answer.status_code)
        assert answer.json() == {"detail": "The JSON is nested too deeply."}
    assert "RecursionError" not in caplog.text


def test_a_phone_new_to_the_account_is_told_like_a_new_browser(owner, phone):
    phone.enroll(PHONE)
    notice = DevOutboxMessage.objects.filter(to=PHONE, body__contains="Redmi Note 14").get()
    assert "Asha's phone (Redmi Note 14) signed in to your account" in notice.body
    assert "/accounts/password/reset/?wasnt_me=1" in notice.body
    # The same phone signing in again is not new.
    phone.enroll(PHONE)
    assert DevOutboxMessage.objects.filter(to=PHONE, body__contains="Redmi Note 14").count() == 1


def test_a_reset_from_this_wasnt_me_signs_out_phones_and_tablets(owner, phone, settings):
    from tests.helpers import code_sent_to

    settings.VERIFICATION_RESEND_COOLDOWN = 0
    phone.enroll(PHONE)
    tablet = Phone(phone.base)
    tablet.enroll(PHONE, hardware="imei-tablet-0001")

    def reset_password(client, new_password, **extra):
        client.post(
            "/accounts/password/reset/",
            {
                "action": "send",
                "method": "phone",
                "country": "IN",
                "phone": PHONE,
                "captcha_0": "test",
                "captcha_1": "PASSED",
            },
        )
        return client.post(
            "/accounts/password/reset/",
            {
                "action": "reset",
                "method": "phone",
                "code": code_sent_to(PHONE),
                "password1": new_password,
                "password2": new_password,
                **extra,
            },
        )

    # A reset of one's own: phones stay signed in (a lost one can still be found).
    plain = Client()
    assert (
        plain.get("/accounts/password/reset/").context["reset_form"]["sign_out_devices"].value()
        is False
    )
    assert reset_password(plain, "Green!Lamp57y").url == "/accounts/login/"
    assert phone.call("GET", "commands/").status_code == 200
    # From a notice's "this wasn't you" link, signing them out is offered ticked.
    wasnt_me = Client()
    page = wasnt_me.get("/accounts/password/reset/?wasnt_me=1")
    assert page.context["reset_form"]["sign_out_devices"].value() is True
    done = reset_password(wasnt_me, "Amber!Sail84q", sign_out_devices="on")
    assert done.url == "/accounts/login/"
    assert phone.call("GET", "commands/").status_code == 401
    assert tablet.call("GET", "commands/").status_code == 401
    assert phone.call("GET", "sync-settings/").status_code == 401  # cloud sync too


def test_a_phone_proves_it_is_a_person_or_is_known_whoever_else_is_guessing(owner, phone):
    """After strangers' wrong passwords a new phone is asked for a CAPTCHA, not refused; a
    phone that signed in before (its client key) is not held up at all."""
    url = f"{phone.base}/api/v1/device/sign-in/"
    device = {
        "name": "Asha's phone",
        "platform": "android",
        "hardware_id": "imei-356938035643809",
        "client_key": "k" * 32,
    }

    def sign_in(**extra):
        return requests.post(
            url,
            json={"login": PHONE, "password": "Blue!Kite42x", "country": "IN", **extra},
            timeout=10,
        )

    assert sign_in(device=device).status_code == 201  # the owner's phone, once
    stranger = {key: value for key, value in device.items() if key != "client_key"}
    for n in range(8):
        requests.post(
            url,
            json={"login": PHONE, "password": "Wrong!Pass9", "device": stranger},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
            timeout=10,
        )
    # The phone that signed in before gets in.
    assert sign_in(device=device).status_code == 201
    # A new phone is asked to prove it is a person, and then gets in.
    tablet = device | {"hardware_id": "imei-tablet-0001", "client_key": "t" * 32}
    asked = sign_in(device=tablet)
    assert asked.status_code == 401
    assert "Type the characters in the picture" in asked.json()["detail"]
    captcha = asked.json()["captcha"]
    assert requests.get(captcha["image_url"], timeout=10).headers["Content-Type"] == "image/png"
    wrong = sign_in(device=tablet, captcha_key=captcha["key"], captcha_answer="WRONG")
    assert wrong.status_code == 401 and "captcha" in wrong.json()
    right = sign_in(
        device=tablet, captcha_key=wrong.json()["captcha"]["key"], captcha_answer="PASSED"
    )
    assert right.status_code == 201, right.text


def test_a_phone_signs_in_with_a_recovery_code_when_a_passkey_is_the_only_second_factor(
    owner, phone
):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user = User.objects.get(phone=PHONE)
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Laptop", "credential": {}}
    )
    codes = RecoveryCodes.activate(user).generate_codes()

    first = phone.sign_in(PHONE)
    # A phone has no browser for the passkey: it is asked for a code ("app": a recovery code).
    assert first.status_code == 200 and first.json()["methods"] == ["app"]
    url = f"{phone.base}/api/v1/device/sign-in/second-factor/"
    passkey = requests.post(
        url, json={"flow": first.json()["flow"], "method": "passkey", "code": "{}"}, timeout=10
    )
    assert passkey.status_code == 400 and "method" in passkey.json()
    done = requests.post(
        url, json={"flow": first.json()["flow"], "method": "app", "code": codes[0]}, timeout=10
    )
    assert done.status_code == 201 and done.json()["token"]
