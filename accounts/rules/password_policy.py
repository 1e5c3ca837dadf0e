"""The password policy's own rules; the rest are Django's validators (see AUTH_PASSWORD_VALIDATORS).

Default policy: 8 to 128 characters with upper case, lower case, digit and symbol, not a common
password, not built from the person's phone, email or account ID. `PASSWORD_POLICY=nist` drops the
composition rule and asks for 15 characters instead.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop


class MaximumLengthValidator:
    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("Use at most %(max)d characters.") % {"max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("At most %(max)d characters.") % {"max": self.max_length}


class CharacterClassValidator:
    RULES = [
        (
            re.compile(r"[A-Z]"),
            "password_no_upper",
            gettext_noop("Add an upper-case letter (A-Z)."),
        ),
        (re.compile(r"[a-z]"), "password_no_lower", gettext_noop("Add a lower-case letter (a-z).")),
        (re.compile(r"[0-9]"), "password_no_digit", gettext_noop("Add a digit (0-9).")),
        (
            re.compile(r"[^A-Za-z0-9]"),
            "password_no_symbol",
            gettext_noop("Add a symbol, such as ! ? # or %."),
        ),
    ]

    def validate(self, password: str, user=None) -> None:
        errors = [
            ValidationError(_(message), code=code)
            for pattern, code, message in self.RULES
            if not pattern.search(password)
        ]
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _("Mix upper case, lower case, digits and symbols.")


class PersonalDataValidator:
    """Refuses a password that contains or resembles the phone number, email or account ID."""

    MAX_SIMILARITY = 0.7

    def validate(self, password: str, user=None) -> None:
        if user is None:
            return
        lowered = password.lower()
        for fragment in self._fragments(user):
            if len(fragment) >= 4 and (
                fragment in lowered
                or SequenceMatcher(a=lowered, b=fragment).quick_ratio() >= self.MAX_SIMILARITY
                and SequenceMatcher(a=lowered, b=fragment).ratio() >= self.MAX_SIMILARITY
            ):
                raise ValidationError(
                    _("Your password is too similar to your phone number, email or account ID."),
                    code="password_too_similar",
                )

    @staticmethod
    def _fragments(user) -> list[str]:
        fragments = []
        phone = str(getattr(user, "phone", "") or "")
        if phone:
            digits = re.sub(r"\D", "", phone)
            fragments += [digits, digits[-10:], digits[-8:]]
        email = str(getattr(user, "email", "") or "").lower()
        if email:
            fragments += [email, email.split("@", 1)[0]]
        account_id = str(getattr(user, "account_id", "") or "")
        if account_id:
            fragments.append(account_id)
        return [fragment for fragment in fragments if fragment]

    def get_help_text(self) -> str:
        return _("Not similar to your phone number, email or account ID.")


@dataclass(frozen=True)
class Rule:
    """One line of the password checklist a page shows beside a new password: its words, and
    what the page's script checks as the person types (`check`, e.g. "min:8" or a pattern
    "re:[A-Z]"; "" for a rule only the server can judge, such as a common password)."""

    text: str
    check: str = ""


def checklist() -> list[Rule]:
    """The password policy as a list a person can tick off while typing, built from the
    configured validators (AUTH_PASSWORD_VALIDATORS), in the page's language. The server stays
    the judge: `validate_password` runs on every submit whatever the page showed."""
    rules: list[Rule] = []
    for validator in password_validation.get_default_password_validators():
        if isinstance(validator, password_validation.MinimumLengthValidator):
            rules.append(
                Rule(
                    _("At least %(min)d characters") % {"min": validator.min_length},
                    f"min:{validator.min_length}",
                )
            )
        elif isinstance(validator, MaximumLengthValidator):
            continue  # a limit nobody reaches by typing; the server still says so
        elif isinstance(validator, CharacterClassValidator):
            rules += [
                Rule(_("An upper-case letter (A-Z)"), "re:[A-Z]"),
                Rule(_("A lower-case letter (a-z)"), "re:[a-z]"),
                Rule(_("A digit (0-9)"), "re:[0-9]"),
                Rule(_("A symbol, such as ! ? # or %"), "re:[^A-Za-z0-9]"),
            ]
        elif isinstance(validator, password_validation.CommonPasswordValidator):
            rules.append(Rule(_("Not a commonly used password (checked when you submit)")))
        else:
            rules.append(Rule(str(validator.get_help_text())))
    return rules
