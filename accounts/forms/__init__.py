"""The accounts app's forms, by the pages they serve: fields they share (`fields`), sign-in,
sign-up and forgot password's contact steps (`contact`), the security pages (`security`).
allauth's settings name `accounts.forms.SignInForm` and `accounts.forms.ChangePasswordForm`."""

from accounts.forms.contact import (
    ContactForm,
    ContactWithCaptchaForm,
    CreateAccountForm,
    SendCodeForm,
    new_challenge,
)
from accounts.forms.fields import CodeField, CountryField
from accounts.forms.security import (
    ChangePasswordForm,
    CodeForm,
    DeleteAccountForm,
    NewPasswordForm,
    PasswordForm,
)
from accounts.forms.sign_in import SignInForm

__all__ = [
    "ChangePasswordForm",
    "CodeField",
    "CodeForm",
    "ContactForm",
    "ContactWithCaptchaForm",
    "CountryField",
    "CreateAccountForm",
    "DeleteAccountForm",
    "NewPasswordForm",
    "PasswordForm",
    "SendCodeForm",
    "SignInForm",
    "new_challenge",
]
