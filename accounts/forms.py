"""Sign-in and sign-up forms."""

import re
import secrets
from datetime import timedelta
from functools import lru_cache

from allauth.account.forms import ChangePasswordForm as BaseChangePasswordForm
from allauth.account.forms import LoginForm
from allauth.core import context
from captcha.conf import settings as captcha_settings
from captcha.fields import CaptchaField, CaptchaTextInput
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.forms import BoundField
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts import phones
from accounts.actions import sign_in
from accounts.actions.security import settle_other_sessions
from accounts.languages import suggested_region
from accounts.models import User
from config.html import input_tag
from config.writes import write_with_async_commit
from verification.models import Channel

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


# --- Sign-up -------------------------------------------------------------------------------------
class ContactForm(forms.Form):
    """Where a code goes: a country/region and phone number, or an email address."""

    def __init__(self, *args, channel: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel == Channel.SMS:
            self.fields["country"] = CountryField()
            self.fields["phone"] = forms.CharField(
                label=_("Phone number"),
                max_length=32,
                widget=forms.TextInput(attrs={"autocomplete": "tel-national", "inputmode": "tel"}),
            )
        else:
            self.fields["email"] = forms.CharField(
                label=_("Email"),
                max_length=254,
                widget=forms.EmailInput(attrs={"autocomplete": "email"}),
            )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if self.channel == Channel.SMS:
            if "phone" in cleaned and "country" in cleaned:
                try:
                    cleaned["destination"] = phones.parse_mobile_number(
                        cleaned["phone"], cleaned["country"]
                    )
                except ValidationError as error:
                    self.add_error("phone", error)
        elif "email" in cleaned:
            email = cleaned["email"].strip().lower()
            try:
                validate_email(email)
            except ValidationError:
                self.add_error("email", _("Enter a valid email address, like name@example.com."))
            else:
                cleaned["destination"] = email
        return cleaned


class CaptchaBoundField(BoundField):
    """The CAPTCHA's answer field is described by the instructions the page writes next to the
    picture (`<id>_helptext`, see accounts/_send_code.html) and by its error, if any. (Django
    links help and errors itself, but not for a widget made of several inputs.)"""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        described_by = [f"{self.auto_id}_helptext"]
        if self.errors:
            described_by.append(f"{self.auto_id}_error")
        attrs["aria-describedby"] = " ".join(described_by)
        return attrs


class CaptchaInput(CaptchaTextInput):
    """django-simple-captcha's widget, its two inputs (the key, hidden, and the answer) written
    as Django's input template writes them, without a template each, and its challenge stored
    by `new_challenge`."""

    def fetch_captcha_store(self, name, value, attrs=None, generator=None):
        # What the library's method sets, without its check that its URLs are included (on
        # every page) and with the challenge stored by one INSERT.
        self._key = new_challenge(generator)
        self._value = [self._key, ""]
        self.id_ = self.build_attrs(attrs).get("id")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["inputs"] = mark_safe(  # noqa: S308  # nosec B308 B703 - input_tag escapes each
            "\n".join(
                input_tag(sub["type"], sub["name"], sub["value"], sub["attrs"])
                for sub in context["widget"]["subwidgets"]
            )
        )
        return context


def new_challenge(generator=None) -> str:
    """A new CAPTCHA challenge, stored as `CaptchaStore.generate_key` stores it (the answer in
    lower case, expiring after CAPTCHA_TIMEOUT minutes), by one written-out INSERT instead of
    a model save, committed without waiting for the disk (config/writes.py); its key comes
    from `secrets`. Returns the key."""
    challenge, response = captcha_settings.get_challenge(generator)()
    key = secrets.token_hex(20)
    expiration = timezone.now() + timedelta(minutes=int(captcha_settings.CAPTCHA_TIMEOUT))
    expires = connection.ops.adapt_datetimefield_value(expiration)
    write_with_async_commit(
        [
            (
                "INSERT INTO captcha_captchastore (challenge, response, hashkey, expiration)"
                " VALUES (%s, %s, %s, %s)",
                [challenge, response.lower(), key, expires],
            )
        ]
    )
    return key


class ContactWithCaptchaForm(ContactForm):
    """Where a code goes when the person is not signed in: a CAPTCHA comes first."""

    captcha = CaptchaField(
        label=_("CAPTCHA"),
        error_messages={"invalid": _("The CAPTCHA answer was wrong. Try the new one.")},
        bound_field_class=CaptchaBoundField,
        widget=CaptchaInput,
    )


# Sign-up sends its code the same way: where to, and the CAPTCHA first.
SendCodeForm = ContactWithCaptchaForm


class CreateAccountForm(forms.Form):
    """The code, the password and consent. The destination is the one the code was sent to."""

    code = CodeField()
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Choose a password.")},
    )
    password2 = forms.CharField(
        label=_("Confirm password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Type your password again.")},
    )
    terms = forms.BooleanField(
        label=mark_safe(  # noqa: S308  # nosec B308 B703 - constant text with our own links
            _(
                'I agree to the <a href="/legal/terms/" target="_blank">Terms of Service</a> '
                'and the <a href="/legal/privacy/" target="_blank">Privacy Policy</a>'
            )
        ),
        error_messages={
            "required": _("To create an account, agree to the Terms of Service and Privacy Policy.")
        },
    )

    def __init__(self, *args, channel: str, destination: str | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.destination = destination
        self.fields["password1"].help_text = " ".join(
            password_validation.password_validators_help_texts()
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The passwords don't match."))
        elif password1:
            # The account ID is drawn when the account is created; the person hasn't seen it yet.
            candidate = User(
                phone=self.destination if self.channel == Channel.SMS else None,
                email=self.destination if self.channel == Channel.EMAIL else None,
            )
            try:
                password_validation.validate_password(password1, user=candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


# --- Security page -------------------------------------------------------------------------------
class CodeForm(forms.Form):
    code = CodeField()


class NewPasswordForm(forms.Form):
    """The code, then a new password twice (password reset)."""

    code = CodeField(required=False)
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Choose a new password.")},
    )
    password2 = forms.CharField(
        label=_("Confirm password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Type your new password again.")},
    )

    def __init__(self, *args, code_required: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].required = code_required
        self.fields["password1"].help_text = " ".join(
            password_validation.password_validators_help_texts()
        )

    def check_password_for(self, user: User) -> bool:
        """Validate the new password against the policy for `user`; False with errors."""
        password = self.cleaned_data.get("password1") or ""
        if password != self.cleaned_data.get("password2"):
            self.add_error("password2", _("The passwords don't match."))
            return False
        try:
            password_validation.validate_password(password, user=user)
        except ValidationError as error:
            self.add_error("password1", error)
            return False
        return True


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password.")},
    )


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account and everything in it will be deleted"),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class ChangePasswordForm(BaseChangePasswordForm):
    """allauth's change of password, with the choice to sign out everywhere else."""

    sign_out_others = forms.BooleanField(
        label=_("Sign out of all other sessions"), required=False, initial=True
    )

    def clean_oldpassword(self) -> str:
        try:
            sign_in.confirm_password(
                context.request, user=self.user, password=self.cleaned_data.get("oldpassword", "")
            )
        except sign_in.PasswordRefused as refused:
            raise ValidationError(refused.message) from None
        return self.cleaned_data["oldpassword"]

    def save(self) -> None:
        super().save()
        settle_other_sessions(
            context.request, user=self.user, sign_out=self.cleaned_data["sign_out_others"]
        )
