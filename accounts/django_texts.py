"""Texts of Django's password validators that the sign-up page shows but Django's Hindi
catalogue lacks. Marked here, they are extracted into the portal's own catalogues, which Django
consults before its own (LOCALE_PATHS), so every language shows them translated."""

from django.utils.translation import gettext_noop, ngettext_lazy

PASSWORD_VALIDATOR_TEXTS = [
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be a commonly used password."),
]
