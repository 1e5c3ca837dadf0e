"""Create a staff account (superuser) that signs in with its email or account ID."""

import getpass
import os

from allauth.account.models import EmailAddress
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import User


class Command(BaseCommand):
    help = (
        "Create a staff account. Email and password may come from ADMIN_EMAIL and ADMIN_PASSWORD "
        "(for scripts); otherwise they are asked for."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", help="the staff member's email address")

    def handle(self, *args, email=None, **options):
        interactive = os.isatty(0)
        email = email or os.environ.get("ADMIN_EMAIL") or (input("Email: ") if interactive else "")
        email = email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError("Give a valid email address with --email.") from None
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"An account with {email} already exists.")
        password = os.environ.get("ADMIN_PASSWORD") or (
            getpass.getpass("Password: ") if interactive else ""
        )
        if not password:
            raise CommandError("Set ADMIN_PASSWORD or run this command in a terminal.")
        candidate = User(email=email, account_id=User.objects.unused_account_id())
        try:
            password_validation.validate_password(password, user=candidate)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        with transaction.atomic():
            user = User.objects.create_superuser(
                email=email, password=password, account_id=candidate.account_id
            )
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        self.stdout.write(
            f"Staff account {user.account_id} created. Sign in at /admin/ with {email} "
            "or the account ID, and your password."
        )
