"""`manage.py register_app --name NAME [--redirect-uri URI ...] [--public] [--first-party]
[--device-grant]`: register an app of the ecosystem; prints client_id= (and client_secret=,
shown this once) one per line (SPEC 12)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ecosystem.actions import register_app


class Command(BaseCommand):
    help = "Register an app that signs people in with their portal account (OpenID Connect)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True, help="The name people see on consent.")
        parser.add_argument(
            "--redirect-uri",
            action="append",
            default=[],
            dest="redirect_uris",
            help="Where the app receives the code (exact match); repeat for several.",
        )
        parser.add_argument(
            "--public",
            action="store_true",
            help="An app that cannot keep a secret (mobile, TV, single-page): PKCE, no secret.",
        )
        parser.add_argument(
            "--first-party", action="store_true", help="The ecosystem's own app: no consent page."
        )
        parser.add_argument(
            "--device-grant",
            action="store_true",
            help="Allow the device grant (RFC 8628), for gadgets and TVs without a keyboard.",
        )

    def handle(self, *args, **options) -> None:
        try:
            registered = register_app(
                name=options["name"],
                redirect_uris=options["redirect_uris"],
                public=options["public"],
                first_party=options["first_party"],
                device_grant=options["device_grant"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"client_id={registered.client.id}")
        if registered.secret:
            self.stdout.write(f"client_secret={registered.secret}")
