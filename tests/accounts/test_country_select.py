"""The country list writes its options once per language and choice: the same HTML as
Django's own select, in the page's language."""

import re

from django import forms
from django.utils import translation

from accounts.forms import CountrySelect
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
