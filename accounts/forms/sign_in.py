"""The sign-in form: one field for a phone number, email or account ID, and the password."""

import re

from allauth.account.forms import LoginForm
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts import phones
from accounts.forms.fields import ACCOUNT_ID, CountryField


# --- Sign-in -------------------------------------------------------------------------------------
class SignInForm(LoginForm):
    """One field for a phone number, email or account ID, plus the password.

    A phone number may be typed with its + country code, or in national format with the
    country/region chosen.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"] = forms.CharField(
            label=_("Phone number, email or account ID"),
            max_length=254,
            widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
        )
        self.fields["country"] = CountryField(
            required=False,
            invalid_choice=_("Choose a country or region from the list."),
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me signed in on this browser")
        self.order_fields(["country", "login", "password", "remember"])

    def user_credentials(self) -> dict:
        login = self.cleaned_data["login"].strip()
        credentials: dict[str, str] = {}
        if "@" in login:
            credentials["email"] = login.lower()
        else:
            compact = re.sub(r"[\s().-]", "", login)
            if ACCOUNT_ID.match(compact):
                credentials["account_id"] = compact
            phone = phones.parse_any_number(
                compact, self.cleaned_data.get("country") or settings.PHONE_DEFAULT_REGION
            )
            if phone:
                credentials["phone"] = phone
            if not credentials:
                # Nothing can match, but the attempt still counts and costs the same.
                credentials["account_id"] = compact
        credentials["password"] = self.cleaned_data.get("password", "")
        return credentials
