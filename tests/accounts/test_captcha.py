"""The CAPTCHA: characters no one mistakes for one another, answered in any case, and read aloud
with espeak-ng in the page's language (English, Mandarin, Hindi), or not offered at all."""

import io
import re
import wave
from datetime import timedelta

import pytest
from captcha.conf import settings as captcha_settings
from captcha.fields import CaptchaField
from captcha.models import CaptchaStore
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.forms.contact import new_challenge
from accounts.web import captcha
from accounts.web.captcha import ALPHABET, challenge

pytestmark = pytest.mark.django_db

# Groups a person may read (or hear) as one another: the alphabet keeps one of each at most.
LOOK_ALIKES = [
    "OQDCG06",
    "IL1JTY7",
    "A4",
    "S5",
    "Z2",
    "B83",
    "UVW",
    "MN",
    "EF",
    "R2",  # Mandarin reads R as "er", the word for 2
]
LANGUAGES = ["en", "zh-hans", "hi"]
AUDIO_URL = re.compile(r'<audio controls preload="none" src="(/captcha/audio/([a-z-]+)/\w+\.wav)"')


def test_the_alphabet_is_upper_case_letters_and_digits_without_look_alikes():
    assert re.fullmatch(r"[A-Z0-9]+", ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET)
    assert any(c.isdigit() for c in ALPHABET) and any(c.isalpha() for c in ALPHABET)
    for group in LOOK_ALIKES:
        assert len(set(group) & set(ALPHABET)) <= 1, group


def test_challenges_use_only_the_alphabet_and_their_answer_is_the_same_in_lower_case():
    drawn = [challenge() for _ in range(300)]
    for text, answer in drawn:
        assert len(text) == captcha_settings.CAPTCHA_LENGTH
        assert set(text) <= set(ALPHABET)
        assert answer == text.lower()
    assert set("".join(text for text, _ in drawn)) == set(ALPHABET)  # each is drawn at times


def test_the_answer_is_right_in_any_case_and_test_mode_still_takes_passed():
    field = CaptchaField()
    upper, lower = new_challenge(), new_challenge()
    field.clean([upper, CaptchaStore.objects.get(hashkey=upper).challenge])
    field.clean([lower, CaptchaStore.objects.get(hashkey=lower).challenge.lower()])
    with pytest.raises(ValidationError):
        field.clean([new_challenge(), "HHHHHH"])
    field.clean([new_challenge(), "PASSED"])  # CAPTCHA_TEST_MODE, as in the whole suite


def test_the_signup_page_draws_its_challenge_from_the_alphabet(client):
    page = client.get("/accounts/signup/").content.decode()
    key = re.search(r'name="captcha_0" value="([0-9a-f]{40})"', page).group(1)
    assert set(CaptchaStore.objects.get(hashkey=key).challenge) <= set(ALPHABET)
    assert re.search(
        r'<img src="/captcha/image/\w+/" alt="[^"]+" class="captcha" width="180"', page
    )
    assert client.get(f"/captcha/image/{key}/")["Content-Type"] == "image/png"


def wav(response) -> bytes:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "audio/wav"
    assert "no-store" in response["Cache-Control"]
    sound = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(sound)
    assert sound[:4] == b"RIFF" and sound[8:12] == b"WAVE"
    assert int.from_bytes(sound[4:8], "little") == len(sound) - 8
    return sound


def seconds(sound: bytes) -> float:
    with wave.open(io.BytesIO(sound)) as reader:
        return reader.getnframes() / reader.getframerate()


@pytest.mark.audio
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_offers_the_characters_read_aloud_in_its_language(client, language):
    page = client.get("/accounts/signup/", headers={"accept-language": language}).content.decode()
    audio = AUDIO_URL.search(page)
    assert audio and audio.group(2) == language
    sound = wav(client.get(audio.group(1)))
    # Five characters, each with a pause after it: a few seconds, not a click nor a minute.
    assert 2.5 < seconds(sound) < 15


@pytest.mark.audio
def test_each_language_reads_the_same_challenge_its_own_way(client):
    key = new_challenge()
    sounds = {
        language: wav(client.get(f"/captcha/audio/{language}/{key}.wav")) for language in LANGUAGES
    }
    assert len(set(sounds.values())) == 3
    assert wav(client.get(f"/captcha/audio/hi/{key}.wav")) == sounds["hi"]  # the same each time


@pytest.mark.audio
def test_a_player_asking_for_part_of_the_sound_gets_that_part(client):
    key = new_challenge()
    whole = wav(client.get(f"/captcha/audio/en/{key}.wav"))
    part = client.get(f"/captcha/audio/en/{key}.wav", headers={"range": "bytes=0-11"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 0-11/{len(whole)}"
    assert b"".join(part.streaming_content) == whole[:12]


@pytest.mark.audio
def test_new_picture_brings_audio_in_the_pages_language(client):
    fresh = client.get(
        "/captcha/refresh/",
        headers={"x-requested-with": "XMLHttpRequest", "accept-language": "zh-hans"},
    ).json()
    assert set(CaptchaStore.objects.get(hashkey=fresh["key"]).challenge) <= set(ALPHABET)
    assert fresh["image_url"] == f"/captcha/image/{fresh['key']}/"
    assert fresh["audio_url"] == f"/captcha/audio/zh-hans/{fresh['key']}.wav"
    wav(client.get(fresh["audio_url"]))
    assert client.get("/captcha/refresh/").status_code == 404  # only for captcha.js


def test_an_unknown_or_expired_challenge_is_a_404_in_plain_text(client):
    expired = new_challenge()
    CaptchaStore.objects.filter(hashkey=expired).update(expiration=timezone.now() - timedelta(1))
    for key in ["0" * 40, "not-a-key", expired]:
        response = client.get(f"/captcha/audio/en/{key}.wav")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/plain")
        assert "expired" in response.content.decode()
    assert client.get(f"/captcha/audio/fr/{new_challenge()}.wav").status_code == 404
    assert client.get(f"/captcha/audio/en/{'x' * 3000}.wav").status_code == 404


@pytest.fixture
def hanging_program(tmp_path, monkeypatch):
    """A program that says nothing for longer than the portal waits."""
    program = tmp_path / "espeak-ng"
    program.write_text("#!/bin/sh\nexec sleep 5\n")
    program.chmod(0o755)
    monkeypatch.setattr(captcha, "SPEECH_TIMEOUT", 0.2)
    return str(program)


@pytest.mark.parametrize("program", ["/bin/false", "/nonexistent/espeak-ng", "hanging"])
def test_a_failing_espeak_ng_is_a_503_in_plain_text(client, settings, request, program):
    settings.CAPTCHA_SPEECH_PATH = (
        request.getfixturevalue("hanging_program") if program == "hanging" else program
    )
    response = client.get(f"/captcha/audio/hi/{new_challenge()}.wav")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]


def test_without_espeak_ng_new_picture_has_no_audio_and_the_audio_url_answers_503(client, settings):
    settings.CAPTCHA_SPEECH_PATH = None
    fresh = client.get("/captcha/refresh/", headers={"x-requested-with": "XMLHttpRequest"}).json()
    assert fresh["audio_url"] is None
    response = client.get(f"/captcha/audio/en/{fresh['key']}.wav")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
