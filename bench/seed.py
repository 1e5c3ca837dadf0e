"""Seeds the portal's benchmark database: accounts, their browsers and devices.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.seed --accounts 10000

Accounts are inserted in bulk with one password hash computed once (a bench shortcut: hashing
10,000 passwords would take minutes and prove nothing). Each account has a phone number, the
browser it signed in from before (so a sign-in is not "from a new browser", which would text a
notice) and one device with a token; odd accounts have an authenticator app. Each account
has also signed in to the bench's smart-home app (ecosystem sign-in): it holds a refresh token.
"""

import argparse
from datetime import timedelta

import django


def seed(accounts: int) -> None:
    from allauth.idp.oidc.adapter import get_adapter as oidc_adapter
    from allauth.idp.oidc.models import Client, Token
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import KnownBrowser, SecurityEvent, User
    from bench import identities as ids
    from config import crypto
    from devices.enrolment import hardware_hash, token_hash
    from devices.models import Command, Device
    from ecosystem.actions import register_app
    from ecosystem.models import AppAccess

    password = make_password(ids.PASSWORD)
    now = timezone.now()
    batch = 2000
    home_app = register_app(
        name="Bench Home", redirect_uris=["https://home.bench.test/cb"], public=True
    ).client
    Client.objects.filter(pk=home_app.pk).update(id=ids.HOME_APP_ID)
    home_app = Client.objects.get(pk=ids.HOME_APP_ID)
    scopes = "openid\nphone"
    with transaction.atomic():
        for start in range(0, accounts, batch):
            numbers = range(start, min(start + batch, accounts))
            users = User.objects.bulk_create(
                User(
                    account_id=ids.account_id(i),
                    phone=ids.phone(i),
                    password=password,
                    # Set at sign-up, as on every account made through the portal's pages.
                    language="en",
                    date_joined=now - timedelta(days=30),
                )
                for i in numbers
            )
            KnownBrowser.objects.bulk_create(
                KnownBrowser(
                    user=user,
                    key_hash=crypto.keyed_hash("browser", ids.browser_key(i)),
                    user_agent="bench",
                )
                for i, user in zip(numbers, users, strict=True)
            )
            Authenticator.objects.bulk_create(
                Authenticator(
                    user=user,
                    type=Authenticator.Type.TOTP,
                    data={"secret": crypto.encrypt(ids.totp_secret(i))},
                )
                for i, user in zip(numbers, users, strict=True)
                if ids.has_totp(i)
            )
            Device.objects.bulk_create(
                Device(
                    user=user,
                    name=f"Phone {i}",
                    model="Bench",
                    platform=Device.Platform.ANDROID,
                    hardware_id_hash=hardware_hash(f"bench-hardware-{i}"),
                    token_hash=token_hash(ids.device_token(i)),
                    last_seen_at=now,
                )
                for i, user in zip(numbers, users, strict=True)
            )
            Token.objects.bulk_create(
                Token(
                    type=Token.Type.REFRESH_TOKEN,
                    hash=oidc_adapter().hash_token(ids.refresh_token(i)),
                    client=home_app,
                    user=user,
                    scopes=scopes,
                    expires_at=now + timedelta(days=90),
                )
                for i, user in zip(numbers, users, strict=True)
            )
            AppAccess.objects.bulk_create(
                AppAccess(user=user, client=home_app, scopes=["openid", "phone"]) for user in users
            )
        busy = User.objects.get(account_id=ids.account_id(ids.LOG_50_EVENTS))
        SecurityEvent.objects.bulk_create(
            SecurityEvent(
                user=busy,
                kind=SecurityEvent.Kind.SIGN_IN_FAILED if k % 5 else SecurityEvent.Kind.SIGNED_IN,
                ip_address="192.0.2.10",
                user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36",
                detail={},
            )
            for k in range(49)  # the sign-in that opens the bench's session is the 50th
        )
        device = Device.objects.get(user__account_id=ids.account_id(ids.PENDING_DEVICE))
        Command.objects.create(
            device=device,
            kind=Command.Kind.LOCK,
            payload={"message": "Bench", "phone": ""},
            requested_by=device.user,
        )
        Device.objects.filter(pk=device.pk).update(open_commands=1)


def main() -> None:
    parser = argparse.ArgumentParser(description="Seed the portal's benchmark database.")
    parser.add_argument("--accounts", type=int, required=True)
    accounts = parser.parse_args().accounts
    django.setup()
    seed(accounts)


if __name__ == "__main__":
    main()
