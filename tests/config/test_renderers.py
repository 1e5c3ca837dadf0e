"""Plain inputs written directly are what Django's input templates write."""

import re
from pathlib import Path

import django
import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.template.loader import get_template

from config.renderers import PLAIN_INPUTS, FormRenderer


def attributes(html: str) -> list[str]:
    return sorted(re.findall(r'\s([a-z-]+(?:="[^"]*")?)', html))


class Everything(forms.Form):
    text = forms.CharField(max_length=20, help_text="Help", initial='a "quoted" <value>')
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    email = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"autofocus": True}))
    hidden = forms.CharField(widget=forms.HiddenInput, initial=42)
    number = forms.IntegerField(min_value=0, widget=forms.NumberInput(attrs={"data-x": None}))
    tel = forms.CharField(widget=forms.TextInput(attrs={"type": "tel", "disabled": False}))
    url = forms.URLField()
    search = forms.CharField(widget=forms.TextInput(attrs={"type": "search"}))
    agree = forms.BooleanField(initial=True)
    off = forms.BooleanField(required=False)


@pytest.mark.parametrize("data", [None, {"text": "x" * 30, "password": "s3cret", "agree": ""}])
def test_every_plain_input_is_written_as_the_templates_write_it(data):
    ours = Everything(data, renderer=FormRenderer())
    theirs = Everything(data, renderer=TemplatesSetting())
    for name in Everything.base_fields:
        mine, django_s = str(ours[name]), str(theirs[name])
        assert mine.startswith("<input ") and mine.endswith(">"), mine
        assert attributes(mine) == attributes(django_s), (mine, django_s)
    if data is None:
        assert 'value="a &quot;quoted&quot; &lt;value&gt;"' in str(ours["text"])
        assert "checked" in str(ours["agree"]) and "checked" not in str(ours["off"])
    else:
        assert 'aria-invalid="true"' in str(ours["text"])


def test_the_portal_overrides_none_of_these_templates():
    django_forms = Path(django.__file__).parent / "forms" / "templates"
    for name in [
        *PLAIN_INPUTS,
        "django/forms/widgets/input.html",
        "django/forms/widgets/attrs.html",
    ]:
        origin = Path(get_template(name).origin.name)
        assert origin.is_relative_to(django_forms), origin


def test_attributes_are_written_and_escaped_as_django_writes_them():
    from django.forms.utils import flatatt
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from config.html import attributes

    attrs = {
        "title": gettext_lazy("Sign in"),
        "data-b": 'say "hi" & <bye>',
        "data-a": 7,
        "aria-label": mark_safe("<b>safe</b>"),
        "required": True,
        "disabled": False,
        "placeholder": None,
        "autofocus": True,
    }
    assert attributes(attrs) == flatatt(attrs)
    assert attributes({}) == flatatt({}) == ""
