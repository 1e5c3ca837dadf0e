from allauth.account import views as account_views
from allauth.mfa.recovery_codes import views as recovery_views
from allauth.mfa.totp import views as totp_views
from django.urls import path
from django.views.generic import RedirectView

from accounts.rules import reauth
from accounts.views import pages, password, security, signup, two_factor

# Some paths are allauth's own, taken over here (config/urls.py includes these first): the
# portal's sign-up and password reset, its re-authentication and second step of sign-in, and
# allauth's two-factor pages behind the portal's re-authentication checks.
urlpatterns = [
    path("", pages.home, name="home"),
    path("accounts/signup/", signup.SignupView.as_view(), name="account_signup"),
    path(
        "accounts/password/reset/",
        password.PasswordResetView.as_view(),
        name="account_reset_password",
    ),
    path(
        "accounts/password/set/",
        reauth.reauthentication_required(account_views.password_set),
        name="account_set_password",
    ),
    path("accounts/reauthenticate/", security.reauthenticate),
    path("accounts/2fa/reauthenticate/", security.reauthenticate, {"second_factor": True}),
    path("accounts/2fa/authenticate/", two_factor.authenticate, name="mfa_authenticate"),
    path("accounts/2fa/", RedirectView.as_view(pattern_name="two_factor")),
    path(
        "accounts/2fa/totp/activate/",
        reauth.reauthentication_required(totp_views.activate_totp, second_factor=True),
    ),
    path("accounts/2fa/totp/deactivate/", two_factor.deactivate_app),
    path(
        "accounts/2fa/recovery-codes/",
        reauth.reauthentication_required(recovery_views.view_recovery_codes, second_factor=True),
    ),
    path("accounts/2fa/recovery-codes/generate/", two_factor.regenerate_recovery_codes),
    path("accounts/2fa/recovery-codes/download/", pages.not_yet),
    path("accounts/sessions/", RedirectView.as_view(pattern_name="sessions")),
    path("accounts/email/", pages.not_yet),
    path("accounts/phone/<path:rest>", pages.not_yet),
    path("account/", security.account_home, name="account_home"),
    path("account/time-zone/", pages.change_time_zone, name="change_time_zone"),
    path("account/security-log/", security.security_log, name="security_log"),
    path("account/sessions/", security.sessions, name="sessions"),
    path("account/verify/", security.reauthenticate, name="reauthenticate"),
    path("account/recovery/phone/", security.recovery_phone, name="recovery_phone"),
    path("account/recovery/email/", security.recovery_email, name="recovery_email"),
    path("account/two-factor/", two_factor.overview, name="two_factor"),
    path("account/two-factor/sms/", two_factor.sms, name="two_factor_sms"),
    path(
        "account/two-factor/recovery-codes/",
        two_factor.regenerate_recovery_codes,
        name="recovery_codes_generate",
    ),
    path("account/delete/", security.delete_account, name="delete_account"),
    path("legal/terms/", pages.terms, name="legal_terms"),
    path("legal/privacy/", pages.privacy, name="legal_privacy"),
    path("language/", pages.switch_language, name="set_language"),
]
