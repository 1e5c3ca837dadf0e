"""The second step of sign-in, in place of allauth's MFA stage: it asks for a code when the
person has the authenticator app or SMS on and this browser is not trusted. allauth's stage
knows nothing of SMS (its login stages are an internal API: django-allauth is pinned)."""

from allauth.account import stages
from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.stages import LoginStage
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.mfa.internal.constants import LoginStageKey
from allauth.mfa.webauthn.internal.flows import did_use_passwordless_login

from accounts.rules.second_factor import second_factor_methods
from accounts.rules.trusted_browsers import is_trusted_browser


class SecondFactorStage(LoginStage):
    key = LoginStageKey.MFA_AUTHENTICATE.value
    urlname = "mfa_authenticate"

    def handle(self):
        user = self.login.user
        if user is None or not second_factor_methods(user):
            return None, True
        if did_use_passwordless_login(self.request, user):
            return None, True  # a passkey proves both what the person has and is (or knows)
        if is_trusted_browser(self.request, user):
            return None, True
        self.state["authentication_required"] = True
        return headed_redirect_response("mfa_authenticate"), True


class EmailVerificationStage(stages.EmailVerificationStage):
    """allauth's, without the query it makes on every sign-in: with optional verification it
    acts only on the sign-in that ends a sign-up."""

    def handle(self):
        login = self.login
        if login.email_verification == EmailVerificationMethod.OPTIONAL and not login.signup:
            return None, True
        return super().handle()
