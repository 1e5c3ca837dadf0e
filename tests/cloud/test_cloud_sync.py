"""Cloud sync: switches per category on /cloud/ and in the APIs, the device's view with an
ETag, storage reports against the quota, and deletion requests."""

import pytest
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import SecurityEvent, User
from cloud.models import CloudAccount, StorageUse
from tests.devices.api_clients import PHONE, Phone, Portal
from tests.helpers import sign_up

pytestmark = pytest.mark.django_db(transaction=True)
GB = 10**9


def test_new_accounts_start_with_four_categories_on(phone_client):
    page = phone_client.get("/cloud/")
    on = [row["label"] for row in page.context["rows"] if row["enabled"]]
    assert on == ["Contacts", "Messages", "Call history", "Notes"]
    assert len(page.context["rows"]) == 9
    steps = {step.title: step for step in phone_client.get("/account/").context["steps"]}
    assert steps["Cloud sync"].done and "Contacts" in steps["Cloud sync"].state


def test_switches_work_without_javascript_and_turning_off_asks_keep_or_delete(phone_client):
    from cloud.actions import report_usage
    from devices.enrolment import enroll_device

    device, _token = enroll_device(
        user=User.objects.get(phone=PHONE),
        name="Phone",
        model="Redmi",
        platform="android",
        hardware_id="imei-356938035643809",
    )
    report_usage(device=device, usage={"notes": 4096})  # something to keep or delete
    phone_client.post("/cloud/", {"category": "gallery", "enabled": "on"})
    asked = phone_client.post("/cloud/", {"category": "notes"})
    assert asked.status_code == 200 and asked.context["category"] == "notes"
    assert "Turn off and delete stored data" in asked.content.decode()
    phone_client.post("/cloud/", {"category": "notes", "data": "delete"})
    rows = {row["category"]: row["enabled"] for row in phone_client.get("/cloud/").context["rows"]}
    assert rows["gallery"] is True and rows["notes"] is False
    user = User.objects.get(phone=PHONE)
    changes = user.security_events.filter(kind=SecurityEvent.Kind.CLOUD_SYNC)
    assert sorted(e.detail["state"] for e in changes) == ["off, delete stored data", "on"]
    bad = phone_client.post("/cloud/", {"category": "photos", "enabled": "on"})
    assert bad.status_code == 302


def test_the_portal_api_reads_and_changes_switches(live_server, phone_client):
    portal = Portal(live_server.url)
    portal.sign_in(PHONE)
    body = portal.api("GET", "cloud/sync-settings/").json()
    assert body["categories"]["contacts"] is True and body["quota_bytes"] == 5 * GB
    changed = portal.api(
        "PATCH", "cloud/sync-settings/", json={"categories": {"gallery": True, "contacts": False}}
    )
    assert changed.status_code == 200
    assert changed.json()["categories"]["gallery"] is True
    for body, field in [
        ({"categories": {"photos": True}}, "photos"),
        ({"categories": {"gallery": "sometimes"}}, "gallery"),
        ({"categories": {}}, "categories"),
        ({"categories": {"gallery": False}, "delete": ["photos"]}, "delete"),
    ]:
        answer = portal.api("PATCH", "cloud/sync-settings/", json=body)
        assert answer.status_code == 400 and field in str(answer.json()), answer.json()
    anonymous = requests.get(f"{live_server.url}/api/v1/cloud/sync-settings/", timeout=10)
    assert anonymous.status_code in (401, 403)


def test_a_device_reads_the_switches_with_an_etag(live_server, phone_client):
    phone = Phone(live_server.url)
    phone.enroll(PHONE)
    first = phone.call("GET", "sync-settings/")
    assert first.status_code == 200 and first.json()["categories"]["contacts"] is True
    etag = first.headers["ETag"]
    again = phone.call("GET", "sync-settings/", headers={"If-None-Match": etag})
    assert again.status_code == 304

    client = Client(HTTP_AUTHORIZATION=f"Token {phone.token}", HTTP_IF_NONE_MATCH=etag)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/device/sync-settings/").status_code == 304
    assert len(queries) == 1, [q["sql"] for q in queries]

    phone_client.post("/cloud/", {"category": "gallery", "enabled": "on"})
    changed = phone.call("GET", "sync-settings/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["categories"]["gallery"] is True
    assert changed.headers["ETag"] != etag
    applied = phone.call(
        "POST", "sync-settings/applied/", json={"version": changed.json()["version"]}
    )
    assert applied.status_code == 204


def test_storage_reports_fill_the_bars_and_over_quota_is_kept_and_flagged(
    live_server, phone_client
):
    phone = Phone(live_server.url)
    phone.enroll(PHONE)
    stored = phone.call("POST", "storage/", json={"usage": {"gallery": 3 * GB, "contacts": 2048}})
    assert stored.status_code == 202 and stored.json() == {"over_quota": False}
    page = phone_client.get("/cloud/")
    used = {row["category"]: row["used"] for row in page.context["rows"]}
    assert used["gallery"] == 3 * GB and used["contacts"] == 2048
    assert not page.context["nearly_full"]
    phone.call("POST", "storage/", json={"usage": {"gallery": int(4.6 * GB)}})
    assert phone_client.get("/cloud/").context["nearly_full"]
    over = phone.call("POST", "storage/", json={"usage": {"gallery": 6 * GB}})
    assert over.json() == {"over_quota": True}
    assert StorageUse.objects.get(category="gallery").over_quota
    assert "storage is full" in phone_client.get("/cloud/").content.decode()
    CloudAccount.objects.filter(user__phone=PHONE).update(quota_bytes=50 * GB)  # staff raise it
    assert not phone_client.get("/cloud/").context["over"]


def test_bad_storage_reports_get_a_400_naming_the_field(live_server, phone_client):
    phone = Phone(live_server.url)
    phone.enroll(PHONE)
    for body, field in [
        ({"usage": {"photos": 10}}, "photos"),
        ({"usage": {"gallery": -1}}, "gallery"),
        ({"usage": {"gallery": 10**18}}, "gallery"),
        ({"usage": {"gallery": "lots"}}, "gallery"),
        ({"usage": {}}, "usage"),
        ({"usage": [1, 2]}, "usage"),
    ]:
        answer = phone.call("POST", "storage/", json=body)
        assert answer.status_code == 400 and field in str(answer.json()), (body, answer.json())
    malformed = requests.post(
        f"{live_server.url}/api/v1/device/storage/",
        data="{",
        headers={"Authorization": f"Token {phone.token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert malformed.status_code == 400
    assert not StorageUse.objects.exists()


def test_deleting_a_category_reaches_the_device_and_zeroes_its_usage(live_server, phone_client):
    phone = Phone(live_server.url)
    phone.enroll(PHONE)
    phone.call("POST", "storage/", json={"usage": {"notes": 5000}})
    phone_client.post("/cloud/", {"category": "notes", "data": "delete"})
    view = phone.call("GET", "sync-settings/").json()
    assert view["categories"]["notes"] is False
    [request] = view["deletion_requests"]
    assert request["category"] == "notes"
    assert phone_client.get("/cloud/").context["rows"][4]["used"] == 5000  # until confirmed
    assert phone.call("POST", f"deletions/{request['id']}/confirm/").status_code == 200
    assert phone_client.get("/cloud/").context["rows"][4]["used"] == 0
    assert phone.call("GET", "sync-settings/").json()["deletion_requests"] == []
    assert phone.call("POST", "deletions/999999/confirm/").status_code == 404


def test_nobody_else_reads_or_changes_these_settings(live_server, phone_client):
    phone = Phone(live_server.url)
    phone.enroll(PHONE)
    phone_client.post("/cloud/", {"category": "notes", "data": "delete"})
    request_id = phone.call("GET", "sync-settings/").json()["deletion_requests"][0]["id"]
    sign_up(Client(), email="ravi@example.com")
    stranger = Portal(live_server.url)
    stranger.sign_in("ravi@example.com")
    stranger.api("PATCH", "cloud/sync-settings/", json={"categories": {"gallery": True}})
    mine = Portal(live_server.url)
    mine.sign_in(PHONE)
    assert mine.api("GET", "cloud/sync-settings/").json()["categories"]["gallery"] is False
    other_phone = Phone(live_server.url)
    other_phone.enroll("ravi@example.com", hardware="imei-490154203237518")
    assert other_phone.call("GET", "sync-settings/").json()["deletion_requests"] == []
    assert other_phone.call("POST", f"deletions/{request_id}/confirm/").status_code == 404
    other_phone.call("POST", "storage/", json={"usage": {"gallery": 999}})
    assert phone_client.get("/cloud/").context["used"] == 0


def test_turning_off_a_category_with_nothing_stored_asks_nothing(phone_client):
    answer = phone_client.post("/cloud/", {"category": "notes"}, follow=True)
    page = answer.content.decode()
    assert answer.redirect_chain == [("/cloud/", 302)]
    assert "Notes sync is off." in page and "What is stored" not in page
