"""Widgets written without a template per option or input: the same HTML as Django's own
(the country list, once per language and choice; the CAPTCHA's two inputs)."""

import re

import pytest
from django import forms
from django.template.loader import render_to_string
from django.utils import translation

from accounts.forms import SendCodeForm
from accounts.forms.fields import CountrySelect
from accounts.phones import country_choices


def options(html: str) -> list[tuple[str, bool, str]]:
    return re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html)


def test_the_options_are_djangos_own_with_the_choice_selected():
    choices = country_choices()
    ours = CountrySelect(choices=choices).render("country", "IN", {"id": "id_country"})
    django = forms.Select(choices=choices).render("country", "IN", {"id": "id_country"})
    assert options(ours) == options(django)
    assert len(options(ours)) == len(choices) > 20
    assert [value for value, mark, _ in options(ours) if mark] == ["IN"]
    assert ours.startswith('<select name="country" id="id_country">')
    nothing_chosen = CountrySelect(choices=choices).render("country", None)
    assert " selected" not in nothing_chosen


def test_each_language_gets_its_own_names_and_labels_are_escaped():
    with translation.override("hi"):
        hindi = CountrySelect(choices=country_choices()).render("country", "IN")
    assert "भारत (+91)" in hindi
    tricky = CountrySelect(choices=[("XX", 'A <b>"land"</b>')]).render("country", "XX")
    assert '<option value="XX" selected>A &lt;b&gt;&quot;land&quot;&lt;/b&gt;</option>' in tricky


def attributes(html: str) -> list[set[str]]:
    return [
        set(re.findall(r'\s([a-z-]+(?:="[^"]*")?)', tag))
        for tag in re.findall(r"<input[^>]*>", html)
    ]


@pytest.mark.django_db
def test_the_captcha_inputs_are_what_djangos_templates_write():
    field = SendCodeForm(channel="sms")["captcha"]
    page = str(field)
    widget = field.field.widget
    context = widget.get_context(
        "captcha", widget._value, field.build_widget_attrs({"id": field.auto_id})
    )
    django = "".join(
        render_to_string(sub["template_name"], {"widget": sub})
        for sub in context["widget"]["subwidgets"]
    )
    assert attributes(page) == attributes(django)
    hidden, answer = attributes(page)
    assert 'type="hidden"' in hidden and f'value="{widget._key}"' in hidden
    assert {'type="text"', 'name="captcha_1"', "required"} <= answer
    assert 'aria-describedby="id_captcha_helptext"' in answer
