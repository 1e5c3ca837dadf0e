"""The security pages' forms: a code, a new password, the password again, deleting the
account, changing the password."""

from allauth.account.forms import ChangePasswordForm as BaseChangePasswordForm
from allauth.core import context
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.actions.security import settle_other_sessions
from accounts.forms.fields import CodeField, new_password_field, password_rules_help
from accounts.models import User
from accounts.rules import failed_passwords


# --- Security page -------------------------------------------------------------------------------
class CodeForm(forms.Form):
    code = CodeField()


class NewPasswordForm(forms.Form):
    """The code, then a new password twice (password reset)."""

    code = CodeField(required=False)
    password1 = new_password_field(_("New password"), _("Choose a new password."))
    password2 = new_password_field(_("Confirm password"), _("Type your new password again."))

    sign_out_devices = forms.BooleanField(
        label=_("Sign out phones and tablets too"),
        help_text=_(
            "Otherwise they stay signed in, so Find Device can still find a lost one. "
            "Sign them out if someone else may have your password."
        ),
        required=False,
    )

    def __init__(self, *args, code_required: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].required = code_required
        self.fields["password1"].help_text = password_rules_help()

    def check_password_for(self, user: User) -> bool:
        """Validate the new password against the policy for `user`; False with every error
        (a mismatch and the policy's) at once."""
        password = self.cleaned_data.get("password1") or ""
        valid = True
        if password != self.cleaned_data.get("password2"):
            self.add_error("password2", _("The passwords don't match."))
            valid = False
        try:
            password_validation.validate_password(password, user=user)
        except ValidationError as error:
            self.add_error("password1", error)
            valid = False
        return valid


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The page labels each field in its language; allauth's English placeholders would
        # only repeat the labels (untranslated where allauth has no catalogue, as for Hindi).
        for name in ("oldpassword", "password1", "password2"):
            self.fields[name].widget.attrs.pop("placeholder", None)
        self.fields["password1"].help_text = password_rules_help()

    def clean(self):
        cleaned = super().clean()
        # allauth compares the two only when the first passed the policy: say both at once.
        typed = self.data.get("password1"), self.data.get("password2")
        if "password1" not in cleaned and all(typed) and typed[0] != typed[1]:
            self.add_error("password2", _("The passwords don't match."))
        return cleaned

    def clean_oldpassword(self) -> str:
        try:
            failed_passwords.confirm_password(
                context.request, user=self.user, password=self.cleaned_data.get("oldpassword", "")
            )
        except failed_passwords.PasswordRefused as refused:
            raise ValidationError(refused.message) from None
        return self.cleaned_data["oldpassword"]

    def save(self) -> None:
        super().save()
        settle_other_sessions(
            context.request, user=self.user, sign_out=self.cleaned_data["sign_out_others"]
        )
