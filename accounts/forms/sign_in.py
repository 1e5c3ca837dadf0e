"""The sign-in form: one field for a phone number, email or account ID, and the password."""

import re

from allauth.account.forms import LoginForm
from captcha.fields import CaptchaField
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from accounts import phones
from accounts.forms.contact import CaptchaBoundField, CaptchaInput
from accounts.forms.fields import ACCOUNT_ID, CountryField
from accounts.rules import failed_passwords


class AnsweredCaptchaField(CaptchaField):
    """A CAPTCHA checked only when answered: most sign-ins are never asked one, and cost no
    query for it."""

    def clean(self, value):
        if not (value and len(value) > 1 and value[1]):
            return value
        return super().clean(value)


# --- Sign-in -------------------------------------------------------------------------------------
FORGOT_PASSWORD = lazy(
    lambda: format_html(
        '<a href="{}">{}</a>', reverse("account_reset_password"), _("Forgot password?")
    ),
    SafeString,
)()


class SignInForm(LoginForm):
    """One field for a phone number, email or account ID, plus the password.

    A phone number may be typed with its + country code, or in national format with the
    country/region chosen. After the account's free failures a CAPTCHA is asked
    (`person_check`): answered, the password is tried at once, where a script must wait.
    """

    captcha = AnsweredCaptchaField(
        label=_("CAPTCHA"),
        required=False,
        error_messages={"invalid": _("The CAPTCHA answer was wrong. Try the new one.")},
        bound_field_class=CaptchaBoundField,
        widget=CaptchaInput,
    )

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
        # The "Forgot password?" link: allauth renders a template for it each time the form is
        # built, sign-ins included (a bound field reads its help text).
        self.fields["password"].help_text = FORGOT_PASSWORD
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me signed in on this browser")
        self.order_fields(["country", "login", "password", "remember", "captcha"])
        # Shown once asked for, and again while it is being answered.
        self.person_check = bool(self.data.get("captcha_1"))

    def clean_captcha(self):
        value = self.cleaned_data.get("captcha")
        if self.data.get("captcha_1"):  # answered, and right (the field checked it)
            failed_passwords.note_proven_person(self.request)
        return value

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            if any(e.code == "sign_in_prove_person" for e in error.error_list):
                self.person_check = True
            raise

    def user_credentials(self) -> dict:
        """What the typed identifier names, worked out once (allauth asks for it twice: to
        authenticate and to sign in)."""
        asked = (self.cleaned_data["login"], self.cleaned_data.get("country"))
        if getattr(self, "_credentials_for", None) != asked:
            self._credentials_for = asked
            self._credentials = self._read_credentials()
        return {**self._credentials, "password": self.cleaned_data.get("password", "")}

    def _read_credentials(self) -> dict[str, str]:
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
        return credentials
