"""The ecosystem's apps in admin: staff register one (the same rule as register_app: exact
redirect URIs, a secret shown once, a logo made into a small PNG); Moderators see apps and who
allowed them but cannot make or change one; tokens are never listed."""

import io
import re

import pytest
from allauth.idp.oidc.models import Client as App
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ecosystem.actions import logo_of, register_app

pytestmark = pytest.mark.django_db(transaction=True)
ADD = "/admin/allauth_idp_oidc/client/add/"


def png(size=(300, 200)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def form(**extra) -> dict:
    return {
        "name": "Mi Store",
        "redirect_uris_text": "https://store.example/callback\nhttps://store.example/cb2",
        **extra,
    }


def test_staff_register_an_app_and_see_its_secret_once(staff_client):
    answer = staff_client.post(ADD, form(logo_file=png()), follow=True)
    assert answer.status_code == 200
    app = App.objects.get(name="Mi Store")
    assert app.get_redirect_uris() == [
        "https://store.example/callback",
        "https://store.example/cb2",
    ]
    assert app.type == App.Type.CONFIDENTIAL
    assert not app.skip_consent
    secret = re.search(
        r'shown this once: <input readonly size="56" value="([^"]+)"', answer.content.decode()
    )
    assert secret and app.check_secret(secret.group(1))
    assert (
        secret.group(1)
        not in staff_client.get(f"/admin/allauth_idp_oidc/client/{app.pk}/change/").content.decode()
    )
    logo = Image.open(io.BytesIO(__import__("base64").b64decode(logo_of(app).split(",", 1)[1])))
    assert max(logo.size) == 96


def test_a_redirect_uri_with_a_wildcard_or_plain_http_is_refused(staff_client):
    answer = staff_client.post(ADD, form(redirect_uris_text="http://store.example/*"))
    assert answer.status_code == 200
    assert "must be https://" in answer.content.decode()
    assert not App.objects.exists()


def test_moderators_see_apps_but_cannot_make_or_change_them(moderator):
    app = register_app(name="Mi Home", redirect_uris=["https://home.example/cb"]).client
    listing = moderator.get("/admin/allauth_idp_oidc/client/")
    assert listing.status_code == 200
    assert "Mi Home" in listing.content.decode()
    assert moderator.get(ADD).status_code == 403
    change = moderator.post(f"/admin/allauth_idp_oidc/client/{app.pk}/change/", form())
    assert change.status_code == 403
    app.refresh_from_db()
    assert app.name == "Mi Home"
    assert moderator.get("/admin/ecosystem/appaccess/").status_code == 200


def test_tokens_are_not_in_admin(staff_client):
    assert staff_client.get("/admin/allauth_idp_oidc/token/").status_code == 404
