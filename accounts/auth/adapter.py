"""The allauth adapter: phone numbers live on our user model, messages leave through
verification, sign-in errors are generic, and failed sign-ins are counted per account."""

import operator
from functools import reduce
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.contrib.sites.shortcuts import get_current_site
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts import outgoing, time_zones
from accounts.languages import language_of
from accounts.models import User
from accounts.rules import failed_passwords, sign_in_limits, standing
from config import crypto
from verification.actions.messages import queue_rendered_email

GENERIC_SIGN_IN_ERROR = _(
    "The phone number, email or account ID and password you entered don't match. Try again."
)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = DefaultAccountAdapter.error_messages | {
        "email_password_mismatch": GENERIC_SIGN_IN_ERROR,
        "phone_password_mismatch": GENERIC_SIGN_IN_ERROR,
        "username_password_mismatch": GENERIC_SIGN_IN_ERROR,
        "invalid_login": GENERIC_SIGN_IN_ERROR,
        "too_many_login_attempts": _(
            "Too many failed sign-in attempts. Wait a few minutes, or reset your password."
        ),
        "sign_in_prove_person": _(
            "Too many failed sign-in attempts. Type the characters in the picture to go on "
            "now, or wait a few minutes."
        ),
        "sign_in_locked": _(
            "Sign-in with this password is locked after too many failed attempts. "
            "Reset your password with a code to unlock it."
        ),
        # The code a TV shows, typed on the device page (ecosystem sign-in).
        "incorrect_code": _("That code isn't right. Check the code on your device and try again."),
    }

    # --- Phone numbers: stored on User.phone, verified when the account was created -----------
    def get_client_ip(self, request: HttpRequest) -> str:
        # Asked five times in a sign-in (limits, log, sessions); the headers do not change.
        known = getattr(request, "_client_ip", None)
        if known is None:
            known = request._client_ip = super().get_client_ip(request)  # type: ignore[attr-defined]
        return known

    def get_phone(self, user) -> tuple[str, bool] | None:
        return (str(user.phone), True) if user.phone else None

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = phone
        user.save(update_fields=["phone"])

    def set_phone_verified(self, user, phone: str) -> None:
        """Numbers are verified before they are stored, so there is nothing left to mark."""

    def get_user_by_phone(self, phone: str):
        # At sign-in the checks before the password have read the account already.
        named = named_in_request(context.request, phone=phone)
        if named is None:
            return User.objects.filter(phone=phone).first()
        return next((user for user in named if user.phone and user.phone.as_e164 == phone), None)

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs: Any) -> None:
        language = language_of(user) if user else translation.get_language()
        outgoing.send_sms_code(phone=phone, code=code, language=language)

    def send_unknown_account_sms(self, phone: str, **kwargs: Any) -> None:
        outgoing.send_unknown_account_notice(phone=phone, language=translation.get_language())

    def send_account_already_exists_sms(self, phone: str) -> None:
        outgoing.send_account_exists_notice(
            channel="sms", destination=phone, language=translation.get_language()
        )

    # --- Mail: allauth renders, verification delivers ---------------------------------------
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = self.request
        context = {"email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (
                str(content)
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            "",
        )
        queue_rendered_email(
            to=email,
            kind=template_prefix.rsplit("/", 1)[-1],
            subject=message.subject,
            body=message.body,
            html=html,
        )

    def add_message(self, request, level, message_template=None, message_context=None, **kwargs):
        """Right after sign-up, the sign-in message says the account was made and what its
        ID is for, rather than "signed in as <ID>"."""
        if message_template == "account/messages/logged_in.txt" and getattr(
            request, "portal_signed_up", False
        ):
            message_template = "account/messages/signed_up.txt"
        super().add_message(request, level, message_template, message_context, **kwargs)

    def pre_login(self, request, user, **kwargs):
        """A suspended or banned account, or one staff asked to reset its password, is told
        so once its password was right (never before: that would tell strangers)."""
        if standing.sign_in_refusal(user):
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            # The password was right: when the suspension ends is told in the account's zone.
            with time_zones.override_for(user):
                return render(
                    request, "accounts/account_restricted.html", {"account": user}, status=403
                )
        return super().pre_login(request, user, **kwargs)

    def get_password_change_redirect_url(self, request) -> str:
        return reverse("account_home")

    # --- Sign-in stages: our second-factor step (app, recovery code or SMS) replaces allauth's
    # MFA step and its separate "trust this browser" page (a checkbox on our step instead).
    def get_login_stages(self) -> list[str]:
        ours = "accounts.auth.stages.EmailVerificationStage"
        replaced = {"allauth.account.stages.EmailVerificationStage": ours}
        stages = [
            replaced.get(stage, stage)
            for stage in super().get_login_stages()
            if stage
            not in ("allauth.mfa.stages.AuthenticateStage", "allauth.mfa.stages.TrustStage")
        ]
        return [*stages, "accounts.auth.stages.SecondFactorStage"]

    # --- Failed sign-ins: allauth limits per IP and per account and IP;
    # accounts.rules.failed_passwords adds the per-account limit across all IPs -------------------
    def pre_authenticate(self, request, **credentials: Any) -> None:
        # Checked first: a try refused here must not also use up allauth's budgets.
        accounts = self._accounts_named_by(credentials, request)
        refusal = failed_passwords.check_sign_in_allowed(
            request,
            accounts=accounts,
            identifier=self._identifier(credentials),
            proven_person=failed_passwords.proven_person(request),
        )
        if refusal is not None:
            raise self.validation_error(
                "sign_in_locked" if refusal.locked else "sign_in_prove_person"
            )
        # Per IP and per account and IP (accounts/rules/sign_in_limits.py); allauth takes the
        # try back after a right password through `_login_failed_rl_usage`.
        key = self._get_login_attempts_cache_key(request, **credentials)
        self._login_failed_rl_usage = sign_in_limits.try_sign_in(request, key)
        if self._login_failed_rl_usage is None and not (
            failed_passwords.proven_person(request)
            or failed_passwords.is_known_client(request, accounts)
        ):
            # A browser or phone that signed in to the account before is never held up by
            # others guessing from its network (a shared home line, a carrier's NAT), and a
            # person who answers a CAPTCHA goes on: only scripts wait.
            raise self.validation_error("sign_in_prove_person")

    def authentication_failed(self, request, **credentials: Any) -> None:
        failed_passwords.record_failed_sign_in(
            request,
            accounts=self._accounts_named_by(credentials, request),
            identifier=self._identifier(credentials),
        )

    def _get_login_attempts_cache_key(self, request, **credentials: Any) -> str:
        """allauth's bucket of failed sign-ins, here per account and IP: the account the
        identifier names (so its phone, email and account ID share one), else the identifier.
        allauth's own key ignores phone numbers (every number would share one bucket), and a
        key per account alone would let anyone lock the owner out."""
        site = get_current_site(request)
        ip = self.get_client_ip(request)
        accounts = sorted({user.pk for user in self._accounts_named_by(credentials, request)})
        if accounts:
            return f"{site.domain}:account:" + "|".join(str(pk) for pk in accounts) + f":{ip}"
        return f"{site.domain}:{self._identifier(credentials)}:{ip}"

    @staticmethod
    def _identifier(credentials: dict[str, Any]) -> str:
        return str(
            credentials.get("email")
            or credentials.get("phone")
            or credentials.get("account_id")
            or credentials.get("username")
            or ""
        ).lower()

    @staticmethod
    def _accounts_named_by(credentials: dict[str, Any], request=None) -> list[User]:
        """The accounts an identifier may name: typed as ten digits it can be both an account ID
        and a national phone number. Looked up once per request (the checks before a password
        and allauth's bucket key both ask)."""
        asked = tuple(credentials.get(k) for k in ("account_id", "phone", "email"))
        known = getattr(request, "accounts_named", None)
        if known is not None and known[0] == asked:
            return known[1]
        lookups = []
        if credentials.get("account_id"):
            lookups.append(Q(account_id=credentials["account_id"]))
        if credentials.get("phone"):
            lookups.append(Q(phone=credentials["phone"]))
        if credentials.get("email"):
            lookups.append(Q(email__iexact=credentials["email"]))
        accounts = list(User.objects.filter(reduce(operator.or_, lookups))[:2]) if lookups else []
        if request is not None:
            request.accounts_named = (asked, accounts)
        return accounts


def named_in_request(request, **credentials: str) -> list[User] | None:
    """The accounts the checks before the password read for these `credentials` (account_id,
    phone) in this request (`_accounts_named_by`), so the password check need not read them
    again; None when they were not looked up. An identifier that names no account is then not
    looked up again either: the answer does the same work whether the account exists."""
    named = getattr(request, "accounts_named", None)
    if named is None:
        return None
    asked = dict(zip(("account_id", "phone", "email"), named[0], strict=True))
    if any(str(asked.get(key) or "") != str(value) for key, value in credentials.items()):
        return None
    return named[1]


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator-app secrets and recovery-code seeds are encrypted at rest."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)

    def get_totp_label(self, user) -> str:
        return str(user.account_id)

    def get_totp_issuer(self) -> str:
        return "Account Portal"

    def generate_authenticator_name(self, user, type) -> str:
        """The name a new passkey is offered: which one it is, in the page's language (the
        person can change it before it is made, or rename it later)."""
        count = Authenticator.objects.filter(user_id=user.pk, type=type).count()
        return str(_("Passkey %(number)d") % {"number": count + 1})
