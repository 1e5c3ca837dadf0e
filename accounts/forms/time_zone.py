"""The account page's time zone form: the zone times are written in, picked from a list."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from accounts import time_zones


class TimeZoneSelect(forms.Select):
    """Django's `<select>`, written here: some 400 zones through its option template took 20 ms
    of every account page."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        attributes = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        options = "".join(
            f'<option value="{escape(choice)}"{" selected" if choice == value else ""}>'
            f"{escape(text)}</option>"
            for choice, text in self.choices
        )
        # flatatt escapes every attribute, and every value and text is escaped above.
        return mark_safe(f"<select{attributes}>{options}</select>")  # noqa: S308  # nosec B308 B703


class TimeZoneForm(forms.Form):
    """A zone from the list (or any other zoneinfo knows, sent by the "Use this device's time
    zone" button); the cleaned value is its current name."""

    time_zone = forms.CharField(
        label=_("Time zone"),
        widget=TimeZoneSelect,
        help_text=_("Times on these pages and in our SMS and email are written in it."),
    )

    def __init__(self, data=None, *, current: str) -> None:
        super().__init__(data, initial={"time_zone": current})
        self.fields["time_zone"].widget.choices = time_zones.choices(selected=current)

    def clean_time_zone(self) -> str:
        name = time_zones.valid(self.cleaned_data["time_zone"])
        if not name:
            raise ValidationError(_("Choose a time zone from the list."))
        return name
