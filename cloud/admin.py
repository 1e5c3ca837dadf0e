from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cloud.models import CloudAccount
from config.templatetags.form_fields import storage_size

GB = 10**9  # as storage is sold and shown: 1 GB = 1,000,000,000 bytes


class CloudAccountForm(forms.ModelForm):
    quota_gb = forms.DecimalField(
        label=_("Quota (GB)"),
        min_value=0,
        max_digits=8,
        decimal_places=1,
        required=False,
        help_text=_("Empty or 0: the default quota."),
    )

    class Meta:
        model = CloudAccount
        fields = ["user"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.quota_bytes:
            self.fields["quota_gb"].initial = round(self.instance.quota_bytes / GB, 1)

    def save(self, commit=True):
        self.instance.quota_bytes = int((self.cleaned_data.get("quota_gb") or 0) * GB)
        return super().save(commit)


@admin.register(CloudAccount)
class CloudAccountAdmin(admin.ModelAdmin):
    """Staff raise an account's storage quota here; the switches are the person's own."""

    form = CloudAccountForm
    list_display = ["user", "quota", "settings_version"]
    search_fields = ["user__account_id", "user__email", "user__phone"]
    fields = ["user", "quota_gb", "settings_version"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # An account's cloud is created here when staff give it a quota before its first use.
        return ["user", "settings_version"] if obj else ["settings_version"]

    @admin.display(description="quota")
    def quota(self, account: CloudAccount) -> str:
        return storage_size(account.quota)
