"""Fields the portal's forms share: a country/region picker, the 6-digit code, a new password."""

import re
from functools import lru_cache

from django import forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from accounts import phones
from accounts.languages import suggested_region
from accounts.rules.password_policy import checklist

ACCOUNT_ID = re.compile(r"^[1-9][0-9]{9}$")
SIX_DIGITS = re.compile(r"^[0-9]{6}$")


class CountrySelect(forms.Select):
    """The countries and regions (`PHONE_COUNTRIES`), their options written once per language
    and choice instead of through a template each (that was a third of the sign-up page's
    CPU time)."""

    template_name = "accounts/widgets/country_select.html"

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)
        chosen = context["widget"]["value"]
        context["widget"]["options"] = _options(tuple(self.choices), chosen[0] if chosen else "")
        return context


@lru_cache(maxsize=256)
def _options(choices: tuple[tuple[str, str], ...], chosen: str) -> str:
    return format_html_join(
        "",
        '\n  <option value="{}"{}>{}</option>',
        ((code, " selected" if code == chosen else "", label) for code, label in choices),
    )


class CountryField(forms.ChoiceField):
    """The allowed countries and regions, each shown with its dial code in the page's
    language, starting on the one the person's language suggests."""

    def __init__(self, *, invalid_choice=None, **kwargs) -> None:
        super().__init__(
            label=_("Country/Region"),
            choices=phones.country_choices,
            widget=CountrySelect,
            initial=suggested_region,
            error_messages={
                "invalid_choice": invalid_choice
                or _("Sign-up isn't available in this country/region yet."),
                "required": _("Choose your country or region."),
            },
            **kwargs,
        )


class CodeField(forms.CharField):
    """The 6-digit code sent by SMS or email."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            label=_("Verification code"),
            max_length=6,
            min_length=6,
            widget=forms.TextInput(
                attrs={
                    "autocomplete": "one-time-code",
                    "inputmode": "numeric",
                    "pattern": "[0-9]{6}",
                }
            ),
            error_messages={
                "required": _("Enter the 6-digit code we sent you."),
                "min_length": _("The code has 6 digits."),
                "max_length": _("The code has 6 digits."),
            },
            **kwargs,
        )

    def clean(self, value):
        value = super().clean((value or "").strip())
        if value and not SIX_DIGITS.match(value):
            raise ValidationError(_("The code has 6 digits."))
        return value


def password_rules_help() -> str:
    """The help under a new password: the policy as a checklist (accounts/_password_rules.html;
    static/js/password_rules.js ticks it off as the person types)."""
    return render_to_string("accounts/_password_rules.html", {"rules": checklist()})


def new_password_field(label, required, *, keep_typed: bool = False) -> forms.CharField:
    """A new password (typed twice by the forms that use it), checked by the password policy
    in the form's clean; with `keep_typed`, a page that comes back with errors keeps what was
    typed (the page is never cached)."""
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=keep_typed),
        error_messages={"required": required},
    )
