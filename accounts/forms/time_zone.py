"""The account page's time zone form: the zone times are written in, picked from a list."""

import functools

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from accounts import time_zones


class TimeZoneSelect(forms.Widget):
    """A `<select>` of every zone (accounts.time_zones.choices), written here: some 400 options
    through Django's Select and its option template took 20 ms of every account page, and
    even escaped in Python a quarter of it; the options are written once an hour (their
    offsets change with daylight saving) and only the selected one is written again."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        attributes = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        # A zone zoneinfo does not know (sent back with its error) is shown as none selected.
        value = value if isinstance(value, str) and time_zones.valid(value) == value else ""
        listed = time_zones.choices(selected=value)
        options, position = _options(listed)
        if value in position:
            index = position[value]
            options = (
                *options[:index],
                _option(*listed[index], selected=True),
                *options[index + 1 :],
            )
        # flatatt escapes every attribute, and every value and text is escaped in _option.
        return mark_safe(f"<select{attributes}>{''.join(options)}</select>")  # noqa: S308  # nosec B308 B703


def _option(value: str, text: str, *, selected: bool = False) -> str:
    return (
        f'<option value="{escape(value)}"{" selected" if selected else ""}>{escape(text)}</option>'
    )


@functools.lru_cache(maxsize=4)
def _options(listed: tuple[tuple[str, str], ...]) -> tuple[tuple[str, ...], dict[str, int]]:
    """The options of the list, none selected, and where each zone is in it."""
    return (
        tuple(_option(value, text) for value, text in listed),
        {value: index for index, (value, _) in enumerate(listed)},
    )


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

    def clean_time_zone(self) -> str:
        name = time_zones.valid(self.cleaned_data["time_zone"])
        if not name:
            raise ValidationError(_("Choose a time zone from the list."))
        return name
