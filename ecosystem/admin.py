"""The ecosystem's apps in admin. Staff with the right register and configure apps through the
same function as `manage.py register_app` (ecosystem.actions); Moderators see apps and who
allowed them, and change nothing. No secret, token or hash is ever shown (a new app's secret
once, when it is made)."""

import base64
import io

from allauth.idp.oidc.models import Client, Token
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ecosystem import actions
from ecosystem.models import AppAccess

admin.site.unregister(Client)
admin.site.unregister(Token)

LOGO_MAX_BYTES = 200 * 1024
LOGO_SIZE = 96
Grant = Client.GrantType


class AppForm(forms.ModelForm):
    redirect_uris_text = forms.CharField(
        label=_("Redirect URIs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, matched exactly: https://, or http:// to 127.0.0.1."),
    )
    public = forms.BooleanField(
        label=_("Public (cannot keep a secret: mobile, TV, single-page app)"), required=False
    )
    first_party = forms.BooleanField(
        label=_("First-party (the ecosystem's own app: no consent page)"), required=False
    )
    device_grant = forms.BooleanField(
        label=_("Device grant (TVs and gadgets without a keyboard)"), required=False
    )
    logo_file = forms.ImageField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG or JPEG, at most 200 KB; shown at 96 x 96 pixels."),
    )

    class Meta:
        model = Client
        fields = ["name"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        client = self.instance
        if client.pk:
            self.fields["redirect_uris_text"].initial = "\n".join(client.get_redirect_uris())
            self.fields["public"].initial = client.type == Client.Type.PUBLIC
            self.fields["first_party"].initial = client.skip_consent
            self.fields["device_grant"].initial = Grant.DEVICE_CODE in client.get_grant_types()

    def clean_logo_file(self) -> str:
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return ""
        if upload.size > LOGO_MAX_BYTES:
            raise ValidationError(_("The logo is larger than 200 KB."))
        from PIL import Image

        opened = Image.open(upload)
        if opened.format not in ("PNG", "JPEG"):
            raise ValidationError(_("The logo must be a PNG or JPEG picture."))
        image = opened.convert("RGBA")
        image.thumbnail((LOGO_SIZE, LOGO_SIZE))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

    def clean(self):
        cleaned = super().clean() or {}
        uris = [line.strip() for line in cleaned.get("redirect_uris_text", "").splitlines()]
        try:
            actions.configure_app(
                self.instance,
                name=cleaned.get("name", ""),
                redirect_uris=[uri for uri in uris if uri],
                public=cleaned.get("public", False),
                first_party=cleaned.get("first_party", False),
                device_grant=cleaned.get("device_grant", False),
                logo=cleaned.get("logo_file") or actions.logo_of(self.instance),
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return cleaned


@admin.register(Client)
class AppAdmin(admin.ModelAdmin):
    form = AppForm
    list_display = ("logo_thumbnail", "name", "id", "type", "skip_consent", "created_at")
    list_display_links = ("name",)
    list_filter = ("type", "skip_consent")
    search_fields = ("id", "name")
    readonly_fields = ("id", "logo_thumbnail", "created_at")

    @admin.display(description=_("Logo"))
    def logo_thumbnail(self, client: Client) -> str:
        logo = actions.logo_of(client)
        return format_html('<img src="{}" alt="" width="32" height="32">', logo) if logo else ""

    def get_fields(self, request, obj=None):
        fields = ["name", "logo_file", "redirect_uris_text", "public", "first_party"]
        fields += ["device_grant"]
        return (["id", "logo_thumbnail", *fields, "created_at"]) if obj else fields

    def save_model(self, request, obj, form, change) -> None:
        if not change and obj.type == Client.Type.CONFIDENTIAL:
            secret = actions.new_secret(obj)
            self.message_user(
                request,
                format_html(
                    str(_("The app's secret is shown this once: {}")),
                    format_html('<input readonly size="56" value="{}">', secret),
                ),
                level=messages.WARNING,
            )
        super().save_model(request, obj, form, change)


@admin.register(AppAccess)
class AppAccessAdmin(admin.ModelAdmin):
    list_display = ("client", "user", "allowed_at", "last_used_at")
    list_select_related = ("client", "user")
    list_filter = ("client",)
    search_fields = ("user__account_id", "client__name")
    readonly_fields = ("user", "client", "scopes", "allowed_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
