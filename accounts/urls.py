from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.SignupView.as_view(), name="account_signup"),
    path("account/", views.account_home, name="account_home"),
    path("accounts/email/", views.not_yet),
    path("accounts/phone/<path:rest>", views.not_yet),
    path("legal/terms/", views.terms, name="legal_terms"),
    path("legal/privacy/", views.privacy, name="legal_privacy"),
]
