"""Sign-up and forgot password's first steps: where to send the code, and the CAPTCHA; then
sign-up's second step."""

import secrets
from datetime import timedelta

from captcha.conf import settings as captcha_settings
from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.forms import BoundField
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts import phones
from accounts.forms.fields import (
    CodeField,
    CountryField,
    new_password_field,
    password_rules_help,
)
from accounts.models import User
from accounts.web.captcha import audio_url as captcha_audio_url
from config.html import input_tag
from config.writes import write_with_async_commit
from verification.models import Channel


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
    as Django's input template writes them, without a template each, its challenge stored
    by `new_challenge`, and its audio the portal's."""

    def fetch_captcha_store(self, name, value, attrs=None, generator=None):
        # What the library's method sets, without its check that its URLs are included (on
        # every page) and with the challenge stored by one INSERT.
        self._key = new_challenge(generator)
        self._value = [self._key, ""]
        self.id_ = self.build_attrs(attrs).get("id")

    def audio_url(self):
        # The portal's audio, in the page's language (the library's needs flite).
        return captcha_audio_url(self._key)

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
    if settings.STOCK_SQL:  # the ORM's save, for the bench to measure against (STOCK_PARTS)
        CaptchaStore.objects.create(
            challenge=challenge, response=response.lower(), hashkey=key, expiration=expiration
        )
        return key
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
    # What was typed comes back with the page when another field is wrong: every error is
    # told at once, and nobody types a good password twice for a wrong code.
    password1 = new_password_field(_("Password"), _("Choose a password."), keep_typed=True)
    password2 = new_password_field(
        _("Confirm password"), _("Type your password again."), keep_typed=True
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
    # The browser's time zone (filled in by time_zone.js): the account's times are shown in it.
    time_zone = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, channel: str, destination: str | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.destination = destination
        # The rules, as a checklist the page's script ticks off while the person types.
        self.fields["password1"].help_text = password_rules_help()

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The passwords don't match."))
        if password1:
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
