"""Forms as assistive technology reads them: each error tied to its field, the CAPTCHA's
instructions and error tied to its answer field, its audio alternative (with espeak-ng), and
no broken audio without it."""

import re
from collections import Counter

import pytest
from django import forms
from django.template import Context, Template
from django.utils.safestring import mark_safe

from tests.helpers import create_account, send_code

pytestmark = pytest.mark.django_db

MOBILE_IN = "98765 43210"


def tag(html: str, element_id: str) -> str:
    match = re.search(rf'<[a-z]+[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, f"no element with id {element_id}"
    return match.group(0)


def duplicate_ids(html: str) -> list[str]:
    return [i for i, n in Counter(re.findall(r'\bid="([^"]+)"', html)).items() if n > 1]


def test_several_errors_on_a_field_are_one_block_the_field_points_to(client):
    send_code(client, phone=MOBILE_IN)
    response = create_account(client, code="000000", phone=MOBILE_IN, password="short", terms=False)
    html = response.content.decode()
    assert response.status_code == 400
    assert not duplicate_ids(html)
    password = tag(html, "id_password1")
    assert 'aria-invalid="true"' in password
    assert 'aria-describedby="id_password1_helptext id_password1_error"' in password
    errors = re.search(
        r'<div class="errors" id="id_password1_error" role="alert">(.*?)</div>', html
    )
    assert errors and errors.group(1).count('<p class="error">') >= 2
    assert 'aria-describedby="id_terms_error"' in tag(html, "id_terms")
    assert 'id="id_terms_error"' in html


def test_the_captcha_answer_is_described_by_its_instructions_and_its_error(client):
    page = client.get("/accounts/signup/").content.decode()
    answer = tag(page, "id_captcha_1")
    assert 'aria-describedby="id_captcha_helptext"' in answer
    assert "aria-invalid" not in answer
    assert 'id="id_captcha_helptext"' in page
    assert re.search(r'<img [^>]*alt="CAPTCHA picture: [^"]+"', page)

    wrong = send_code(client, phone=MOBILE_IN, captcha="WRONG").content.decode()
    answer = tag(wrong, "id_captcha_1")
    assert 'aria-invalid="true"' in answer
    assert 'aria-describedby="id_captcha_helptext id_captcha_error"' in answer
    assert re.search(r'id="id_captcha_error" role="alert"><p class="error">The CAPTCHA', wrong)
    assert not duplicate_ids(wrong)


def test_new_picture_works_without_javascript(client):
    """The button belongs to a GET form of its own: the page again, with a new CAPTCHA (and
    Enter in the email field still presses "Send code", the first button of the main form)."""
    page = client.get("/accounts/signup/?method=email").content.decode()
    button = re.search(r"<button [^>]*data-captcha-refresh[^>]*>", page).group(0)
    assert 'type="submit"' in button and 'form="captcha-refresh"' in button
    form = re.search(r'<form id="captcha-refresh" method="get" action="([^"]+)">(.*?)</form>', page)
    assert form and form.group(1) == "/accounts/signup/"
    assert 'name="method" value="email"' in form.group(2)
    key = re.search(r'name="captcha_0" value="([0-9a-f]{40})"', page).group(1)
    again = client.get("/accounts/signup/", {"method": "email"}).content.decode()
    assert re.search(r'name="captcha_0" value="([0-9a-f]{40})"', again).group(1) != key


@pytest.mark.parametrize("path", ["/accounts/signup/", "/accounts/password/reset/"])
def test_without_espeak_ng_no_audio_is_offered(client, settings, path):
    settings.CAPTCHA_SPEECH_PATH = None
    page = client.get(path).content.decode()
    assert "<audio" not in page and "captcha/audio/" not in page
    assert 'id="id_captcha_1"' in page


@pytest.mark.audio
@pytest.mark.parametrize("path", ["/accounts/signup/", "/accounts/password/reset/"])
def test_with_espeak_ng_the_captcha_can_be_heard(client, path):
    page = client.get(path).content.decode()
    audio = re.search(
        r'<audio controls preload="none" src="([^"]+)" aria-labelledby="([^"]+)"', page
    )
    assert audio, "no audio player"
    assert re.search(rf'id="{audio.group(2)}">Listen to the characters', page)
    answer = client.get(audio.group(1))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "audio/wav"
    sound = b"".join(answer.streaming_content)
    assert sound[:4] == b"RIFF" and sound[8:12] == b"WAVE" and len(sound) > 10_000


class _FieldsForm(forms.Form):
    name = forms.CharField(label="Name <b>", help_text="Letters & spaces")
    agree = forms.BooleanField(label="I agree")
    rules = forms.CharField(help_text=mark_safe("<ul><li>rule</li></ul>"))  # noqa: S308


def _field(form, name, label_text=""):
    template = Template("{% load form_fields %}{% field form." + name + " label_text=text %}")
    return template.render(Context({"form": form, "text": label_text}))


def test_a_field_block_names_its_help_and_its_errors_and_escapes_what_it_shows():
    form = _FieldsForm({"name": "", "agree": ""})
    form.is_valid()
    html = _field(form, "name")
    assert html.startswith('<div class="field has-error">\n<label for="id_name">Name &lt;b&gt;')
    assert 'aria-describedby="id_name_helptext id_name_error"' in tag(html, "id_name")
    assert '<div class="help" id="id_name_helptext">Letters &amp; spaces</div>' in html
    assert '<div class="errors" id="id_name_error" role="alert"><p class="error">' in html
    # A checkbox comes before its label; help that is already HTML is kept as HTML.
    agree = _field(form, "agree")
    assert agree.startswith('<div class="field has-error checkbox">\n<input type="checkbox"')
    assert agree.index("<input") < agree.index('<label for="id_agree">I agree</label>')
    assert "<ul><li>rule</li></ul>" in _field(_FieldsForm(), "rules")


def test_a_field_block_takes_a_label_of_the_page_and_no_errors_before_submission():
    html = _field(_FieldsForm(), "name", label_text="Your <name>")
    assert html.startswith('<div class="field">\n<label for="id_name">Your &lt;name&gt;</label>')
    assert "error" not in html
