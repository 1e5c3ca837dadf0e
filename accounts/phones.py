"""Phone numbers as people type them: a country/region plus a national number, or +E.164."""

from collections.abc import Mapping
from functools import lru_cache

import phonenumbers
from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import get_text_list
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

SMS_CAPABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


@lru_cache(maxsize=8)
def _territories(language: str) -> Mapping[str, str]:
    """Babel's names of countries and regions in `language` (English when it has none)."""
    try:
        return Locale.parse(language.replace("-", "_")).territories
    except (ValueError, LookupError, UnknownLocaleError):
        return Locale("en").territories


@lru_cache(maxsize=8)
def _country_choices(language: str, countries: tuple[str, ...]) -> list[tuple[str, str]]:
    names = _territories(language)
    choices = [
        (code, f"{names.get(code, code)} (+{phonenumbers.country_code_for_region(code)})")
        for code in countries
    ]
    return sorted(choices, key=lambda choice: _sort_key(language, choice[1]))


def _sort_key(language: str, name: str) -> tuple[str, str]:
    """How a list of names is ordered in `language`: Chinese by pinyin (as a Chinese reader
    looks for 印度 under Y), the other languages by their letters."""
    if language.lower().startswith("zh"):
        return (" ".join(lazy_pinyin(name, style=Style.TONE3)).lower(), name)
    return (name.casefold(), name)


def country_name(code: str) -> str:
    """A country or region's name in the page's language: "India"."""
    return _territories(get_language() or "en").get(code, code)


def country_choices() -> list[tuple[str, str]]:
    """The allowed countries and regions, each with its dial code: "India (+91)"."""
    return _country_choices(get_language() or "en", tuple(settings.PHONE_COUNTRIES))


# What a person may type in a phone number besides digits (of any script: phonenumbers reads
# Devanagari digits too): a leading +, spaces and the usual separators. Letters are refused,
# not read as a keypad's digits (98765abcde would otherwise be +91 98765 22233, a stranger).
_SEPARATORS = frozenset(" ()-./")


def has_only_number_characters(text: str) -> bool:
    body = text[1:] if text.startswith("+") else text
    return bool(body) and all(ch.isdecimal() or ch in _SEPARATORS for ch in body)


def parse_mobile_number(raw: str, country: str) -> str:
    """Return the number in E.164, or raise ValidationError with a message for a person.

    Accepts the national number for `country`, or a full number starting with +.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter your phone number."), code="required")
    if not has_only_number_characters(text):
        raise ValidationError(
            _("Enter a valid phone number: digits only (spaces and dashes are fine)."),
            code="letters",
        )
    try:
        number = phonenumbers.parse(text, country or None)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a valid phone number."), code="invalid") from None
    if not phonenumbers.is_valid_number(number):
        fits = [] if text.startswith("+") else countries_where_it_fits(text, besides=country)
        if fits:
            raise ValidationError(
                _(
                    "This isn't a valid phone number for %(chosen)s, but it is one for "
                    "%(fits)s. Choose that country/region above, or type the number with its "
                    "country code."
                )
                % {
                    "chosen": country_name(country),
                    "fits": get_text_list(
                        [
                            f"{country_name(code)} (+{phonenumbers.country_code_for_region(code)})"
                            for code in fits
                        ],
                        _("or"),
                    ),
                },
                code="other_country",
            )
        raise ValidationError(
            _("This isn't a valid phone number for the country/region you chose."), code="invalid"
        )
    region = phonenumbers.region_code_for_number(number)
    if region not in settings.PHONE_COUNTRIES:
        raise ValidationError(
            _(
                "Phone numbers from this country/region aren't supported yet. "
                "Use your email instead."
            ),
            code="unsupported_country",
        )
    if phonenumbers.number_type(number) not in SMS_CAPABLE:
        raise ValidationError(
            _(
                "This number can't receive text messages (it looks like a landline). "
                "Enter a mobile number."
            ),
            code="not_mobile",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def countries_where_it_fits(national: str, *, besides: str, most: int = 3) -> list[str]:
    """The other allowed countries where `national` is a valid mobile number (at most `most`,
    in the order of PHONE_COUNTRIES): a person whose browser chose the wrong country learns
    which one their number belongs to."""
    fits = []
    for code in settings.PHONE_COUNTRIES:
        if code == besides:
            continue
        try:
            number = phonenumbers.parse(national, code)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in SMS_CAPABLE:
            fits.append(code)
            if len(fits) == most:
                break
    return fits


def parse_any_number(raw: str, country: str) -> str | None:
    """For sign-in: any valid number in E.164 (the sign-up rules on countries and line types do
    not apply to numbers that already have an account), or None."""
    text = (raw or "").strip()
    if not has_only_number_characters(text):
        return None
    try:
        number = phonenumbers.parse(text, country or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(e164: str) -> str:
    """+919876543210 -> +91 98765 43210"""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask(e164: str) -> str:
    """+919876543210 -> +91 ••••• •3210: enough for the owner to recognise it."""
    shown = display(e164)
    digits_left = 4
    masked = []
    for char in reversed(shown):
        if char.isdigit() and digits_left > 0:
            digits_left -= 1
            masked.append(char)
        elif char.isdigit():
            masked.append("•")
        else:
            masked.append(char)
    country, _, rest = "".join(reversed(masked)).partition(" ")
    # The country code stays readable: "+91 ••••• •3210".
    prefix = display(e164).split(" ", 1)[0]
    return f"{prefix} {rest}" if rest else country


def mask_email(email: str) -> str:
    """someone@example.com -> s•••••e@example.com"""
    local, _, domain = email.partition("@")
    if len(local) <= 2:
        return f"{local[:1]}•••@{domain}"
    return f"{local[0]}{'•' * min(len(local) - 2, 5)}{local[-1]}@{domain}"


def default_region() -> str:
    return settings.PHONE_DEFAULT_REGION
