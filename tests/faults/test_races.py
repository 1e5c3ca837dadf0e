"""Requests racing on PostgreSQL: threads released together by a barrier, each on its own
database connection. The database's constraints, not only checks in Python, keep one account
per number or address and one result per command."""

import threading

import pytest
from django.db import IntegrityError, connections, transaction

from accounts.actions.signup import DestinationTaken, create_account
from accounts.models import SecurityEvent, User
from devices.commands import CommandConflict, acknowledge, issue_command, report_result
from devices.enrolment import enroll_device
from devices.models import Command, Device
from tests.helpers import GOOD_PASSWORD
from verification.actions.codes import issue_code
from verification.models import Channel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def race(*calls):
    """Run the calls at once, each in its own thread and connection; their results or errors."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as error:  # the outcome under test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize(
    ("channel", "destination"),
    [(Channel.SMS, "+919123456789"), (Channel.EMAIL, "asha@example.com")],
)
def test_two_sign_ups_racing_for_one_number_or_address_make_one_account(
    settings, channel, destination
):
    settings.VERIFICATION_RESEND_COOLDOWN = 0
    # Two browsers, each with its own code to the same destination.
    codes = [
        issue_code(purpose="signup", channel=channel, destination=destination) for _ in range(2)
    ]

    def sign_up(record, code):
        return lambda: create_account(
            channel=channel,
            destination=destination,
            code_id=record.pk,
            code=code,
            password=GOOD_PASSWORD,
            client_ip="203.0.113.9",
            user_agent="race",
            language="en",
        )

    for _ in range(5):  # several rounds, so the window between check and insert is hit
        outcomes = race(*(sign_up(record, code) for record, code in codes))
        accounts = [o for o in outcomes if isinstance(o, User)]
        assert len(accounts) <= 1
        assert all(isinstance(o, User | DestinationTaken) for o in outcomes), outcomes
        if accounts:
            assert isinstance(outcomes[1 - outcomes.index(accounts[0])], DestinationTaken)
            break
    field = "phone" if channel == Channel.SMS else "email"
    assert User.objects.filter(**{field: destination}).count() == 1


def test_the_database_refuses_a_second_account_for_a_number_or_address():
    User.objects.create_user(phone="+919123456789", email="asha@example.com", password="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(phone="+919123456789", password="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="Asha@Example.COM", password="x")  # case does not matter


@pytest.fixture
def command():
    user = User.objects.create_user(phone="+919123456789", password="x")
    device, _ = enroll_device(
        user=user, name="Asha's phone", model="Redmi", platform="android", hardware_id="imei-1"
    )
    command, _ = issue_command(
        device=device, by=user, kind=Command.Kind.LOCK, payload={"message": "Call me"}
    )
    return command


def test_two_results_racing_on_one_command_give_one_result(command):
    device = command.device
    outcomes = race(
        lambda: report_result(device=device, command_id=command.public_id, succeeded=True),
        lambda: report_result(device=device, command_id=command.public_id, succeeded=False),
    )
    winners = [o for o in outcomes if isinstance(o, Command)]
    assert len(winners) == 1
    assert isinstance(outcomes[1 - outcomes.index(winners[0])], CommandConflict)
    command.refresh_from_db()
    assert command.state == winners[0].state and command.finished_at is not None
    assert Device.objects.get(pk=device.pk).open_commands == 0  # counted down once


def test_two_acknowledgements_racing_deliver_a_command_once(command):
    device = command.device
    events_before = SecurityEvent.objects.count()
    outcomes = race(
        *(lambda: acknowledge(device=device, command_id=command.public_id) for _ in range(4))
    )
    assert all(isinstance(o, Command) for o in outcomes), outcomes
    command.refresh_from_db()
    assert command.state == "delivered"
    assert {o.delivered_at for o in outcomes} == {command.delivered_at}
    assert SecurityEvent.objects.count() == events_before + 1  # logged once


def test_another_device_cannot_acknowledge_or_answer_the_command(command):
    other, _ = enroll_device(
        user=command.device.user,
        name="Asha's tablet",
        model="Pad",
        platform="android",
        hardware_id="imei-2",
    )
    with pytest.raises(Command.DoesNotExist):
        acknowledge(device=other, command_id=command.public_id)
    with pytest.raises(Command.DoesNotExist):
        report_result(device=other, command_id=command.public_id, succeeded=True)


def test_the_database_refuses_a_result_without_a_closed_state_and_the_reverse(command):
    with pytest.raises(IntegrityError), transaction.atomic():
        Command.objects.filter(pk=command.pk).update(state="succeeded")
    with pytest.raises(IntegrityError), transaction.atomic():
        Command.objects.filter(pk=command.pk).update(finished_at=command.created_at)
