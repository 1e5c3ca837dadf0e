"""Where a command stands, as the device page and the portal API show it
(devices.commands.progress): Pending since it was sent, Delivered since the phone fetched it,
closed since it was closed, and Expired (never Pending) once its expiry passed, even before
anything closed it. The page writes every time itself, in the one format, in its first render
and in what its script fetches."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import formats, timezone, translation

from accounts.models import User
from devices import commands
from devices.enrolment import enroll_device
from devices.models import Command, Device
from tests.helpers import sign_up

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "+919876543210"


@pytest.fixture
def owner() -> tuple[Client, Device]:
    client = Client()
    sign_up(client, phone="98765 43210")
    device, _token = enroll_device(
        user=User.objects.get(phone=PHONE),
        name="Asha's phone",
        model="Redmi",
        platform="android",
        hardware_id="imei-356938035643809",
    )
    return client, device


def ring(device: Device) -> Command:
    command, _created = commands.issue_command(
        device=device, by=device.user, kind=Command.Kind.RING, payload={}
    )
    return command


def written(value) -> str:
    """A time as the portal writes it on a page."""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def test_each_state_is_shown_since_the_time_it_was_reached(owner):
    _client, device = owner
    command = ring(device)
    assert commands.progress(command) == (Command.State.PENDING, command.created_at)

    command = commands.acknowledge(device=device, command_id=command.public_id)
    assert command.delivered_at is not None
    assert commands.progress(command) == (Command.State.DELIVERED, command.delivered_at)

    command = commands.report_result(device=device, command_id=command.public_id, succeeded=False)
    assert commands.progress(command) == (Command.State.FAILED, command.finished_at)


@pytest.mark.parametrize("delivered", [False, True])
def test_a_command_past_its_expiry_is_expired_not_pending_before_anything_closes_it(
    owner, delivered
):
    _client, device = owner
    command = ring(device)
    if delivered:
        command = commands.acknowledge(device=device, command_id=command.public_id)
    expiry = command.expires_at
    assert commands.progress(command, now=expiry - timedelta(seconds=1)).state != "expired"
    assert commands.progress(command, now=expiry) == (Command.State.EXPIRED, expiry)
    # Closed by the clean-up later, it still says it expired when it did.
    commands.expire_commands(now=expiry + timedelta(minutes=3))
    command.refresh_from_db()
    assert command.state == Command.State.EXPIRED
    assert commands.progress(command) == (Command.State.EXPIRED, expiry)


def test_lock_and_erase_wait_for_the_device_however_long_it_takes(owner):
    _client, device = owner
    command, _created = commands.issue_command(
        device=device,
        by=device.user,
        kind=Command.Kind.LOCK,
        payload={"message": "Lost phone", "phone": ""},
    )
    later = timezone.now() + timedelta(days=30)
    assert commands.progress(command, now=later) == (Command.State.PENDING, command.created_at)


def test_the_page_and_what_its_script_fetches_show_an_overdue_command_as_expired(owner):
    client, device = owner
    command = ring(device)
    Command.objects.filter(pk=command.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    command.refresh_from_db()
    for path in (f"/devices/{device.public_id}/", f"/devices/{device.public_id}/status/"):
        html = client.get(path).content.decode()
        row = html[html.index(f'data-id="{command.public_id}"') :].split("</tr>")[0]
        assert 'data-state="expired"' in row
        assert '<span class="state-word" data-testid="state-ring">Expired</span>' in row
        assert f">{written(command.expires_at)}</time>" in row
        assert 'aria-hidden="true"' in row  # the icon; the word says the state
        assert "Pending" not in row
    assert client.get(f"/api/v1/commands/{command.public_id}/").json()["state"] == "expired"
    device_answer = client.get(f"/api/v1/devices/{device.public_id}/").json()
    assert device_answer["commands"][0]["state"] == "expired"


def test_the_fetched_parts_write_every_time_as_the_first_render_does(owner):
    client, device = owner
    command = commands.acknowledge(device=device, command_id=ring(device).public_id)
    located = timezone.now() - timedelta(minutes=5)
    Device.objects.filter(pk=device.pk).update(
        last_latitude=28.61394,
        last_longitude=77.20902,
        last_accuracy=12,
        last_battery=64,
        last_located_at=located,
    )
    page = client.get(f"/devices/{device.public_id}/").content.decode()
    status = client.get(f"/devices/{device.public_id}/status/")
    assert status.status_code == 200 and "no-cache" in status["Cache-Control"]
    fetched = status.content.decode()
    for html in (page, fetched):
        assert f'data-testid="located-at">{written(located)}</time>' in html
        assert f'data-testid="since-ring">{written(command.delivered_at)}</time>' in html
        assert '<span class="state-word" data-testid="state-ring">Delivered</span>' in html
        assert 'data-lat="28.613940"' in html and "mlat=28.61394&amp;mlon=77.20902" in html
        assert 'data-testid="battery">64%</dd>' in html


def test_the_fetched_parts_are_in_the_pages_language(owner):
    client, device = owner
    command = ring(device)
    client.post("/language/", {"language": "hi", "next": "/"})
    html = client.get(f"/devices/{device.public_id}/status/")
    with translation.override("hi"):
        pending = str(Command.State.PENDING.label)
        when = written(command.created_at)
    assert pending != "Pending"
    assert f'data-testid="state-ring">{pending}</span>' in html.content.decode()
    assert f">{when}</time>" in html.content.decode()


def test_signed_out_the_fetched_parts_are_refused_and_a_strangers_device_does_not_exist(owner):
    _client, device = owner
    signed_out = Client().get(f"/devices/{device.public_id}/status/")
    assert signed_out.status_code == 401 and b"Ring" not in signed_out.content
    stranger = Client()
    sign_up(stranger, phone="91234 56789")
    assert stranger.get(f"/devices/{device.public_id}/status/").status_code == 404
    assert stranger.get("/devices/not-a-uuid/status/").status_code == 404
