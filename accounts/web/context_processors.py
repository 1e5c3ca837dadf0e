from django.conf import settings


def portal(request) -> dict:
    return {
        "portal_name": "Account Portal",
        "terms_version": settings.TERMS_VERSION,
        "privacy_version": settings.PRIVACY_VERSION,
        # Each language named in itself, whatever the page's language (the switcher).
        "portal_languages": settings.LANGUAGES,
    }
