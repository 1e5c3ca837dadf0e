"""The CAPTCHA's characters, its picture's noise, and the same characters read aloud.

django-simple-captcha draws the picture and checks the answer; the portal chooses the
characters (`challenge`, the CAPTCHA_CHALLENGE_FUNCT setting), and reads them aloud with
espeak-ng in the page's language (`audio`), where the library has only flite, in English."""

import logging
import secrets
import subprocess  # nosec B404 - one program from the settings, a list of arguments, no shell
from io import BytesIO
from xml.sax.saxutils import escape

from captcha.conf import settings as captcha_settings
from captcha.helpers import captcha_image_url
from captcha.models import CaptchaStore
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from ranged_response import RangedFileResponse

logger = logging.getLogger(__name__)

# Upper-case letters and digits, keeping one of each group a person may read as another (in
# the picture's font, turned a little, under its dots) or hear as another (in English, Mandarin
# or Hindi):
#   O 0 Q D C G 6      round shapes                      -> 6
#   I 1 L J T Y 7      a stem whose bars get lost        -> 7
#   A 4, S 5, Z 2, B 8 a letter shaped like a digit      -> 4, 5, 2 (and 3, not 8 or B)
#   U V W, M N         a corner or a stroke apart        -> W, M ("em" and "en" rhyme too)
#   E F, R             E/F a bar apart; E rhymes with P and three, F with X ("ef", "ex"),
#                      and Mandarin reads R as "er", the word for 2
# The letters left, H K M P W X, look and sound unlike each other and unlike the digits.
ALPHABET = "234567" + "9" + "HKMPWX"

# espeak-ng's voice for each of the portal's languages (`espeak-ng --voices` lists them).
VOICES = {"en": "en", "zh-hans": "cmn", "hi": "hi"}
# Each character alone, then a pause, a little slower than espeak-ng's 175 words a minute.
WORDS_PER_MINUTE = "140"
PAUSE = "600ms"
# espeak-ng says five characters in a few hundredths of a second; one that hangs is cut off.
SPEECH_TIMEOUT = 5


def challenge() -> tuple[str, str]:
    """A new challenge: CAPTCHA_LENGTH characters of `ALPHABET`, drawn with `secrets`, and its
    answer (the library compares answers in lower case, so any case is right)."""
    text = "".join(secrets.choice(ALPHABET) for _position in range(captcha_settings.CAPTCHA_LENGTH))
    return text, text.lower()


def noise_light_dots(draw, image):
    """Sparse grey dots (CAPTCHA_NOISE_FUNCTIONS): enough to spoil a clean outline for a script,
    too light and too few to hide a stroke from a person (the library's own dots are as dark as
    the characters and cover a tenth of the picture, and its lines cross them)."""
    width, height = image.size
    for _dot in range(width * height // 15):
        draw.point((secrets.randbelow(width), secrets.randbelow(height)), fill="#9a9a9a")
    return draw


# --- Audio ---------------------------------------------------------------------------------------
class SpeechFailed(Exception):
    """espeak-ng gave no sound: not installed, hung, or failed."""


def audio_url(key: str) -> str | None:
    """Where the challenge `key` is read aloud in the current language, or None when the portal
    cannot speak (espeak-ng is not installed): then the page offers no audio."""
    if not settings.CAPTCHA_SPEECH_PATH:
        return None
    language = translation.get_language() or settings.LANGUAGE_CODE
    return reverse("captcha_audio", kwargs={"language": language, "key": key})


def speech_markup(text: str) -> str:
    """SSML for espeak-ng: each character said as a character ("A", not the word "a"), alone,
    with a pause after it."""
    return (
        "<speak>"
        + "".join(
            f'<say-as interpret-as="characters">{escape(char)}</say-as><break time="{PAUSE}"/>'
            for char in text
        )
        + "</speak>"
    )


def speak(text: str) -> bytes:
    """`text` read aloud in the current language's voice (English for any other), as WAV."""
    program = settings.CAPTCHA_SPEECH_PATH
    if not program:
        raise SpeechFailed("espeak-ng is not installed")
    voice = VOICES.get(translation.get_language() or "", "en")
    command = [program, "-v", voice, "-s", WORDS_PER_MINUTE, "-m"]
    try:
        result = subprocess.run(  # noqa: S603  # nosec B603 - no shell, fixed arguments
            [*command, "--stdout", speech_markup(text)],
            capture_output=True,
            timeout=SPEECH_TIMEOUT,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise SpeechFailed(str(error)) from error
    return with_sizes(result.stdout)


def with_sizes(wav: bytes) -> bytes:
    """The WAV espeak-ng writes to a pipe, with the sizes its header leaves unknown (it cannot
    seek back) filled in, so that every player knows the sound's length."""
    data = wav.find(b"data", 12, 256)
    if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE" or data < 0 or len(wav) <= data + 8:
        raise SpeechFailed("espeak-ng wrote no WAV")
    riff_size = (len(wav) - 8).to_bytes(4, "little")
    data_size = (len(wav) - data - 8).to_bytes(4, "little")
    return wav[:4] + riff_size + wav[8 : data + 4] + data_size + wav[data + 8 :]


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def audio(request, language: str, key: str):
    """The challenge `key` read aloud in `language` (the page's, put in the URL by `audio_url`),
    never kept by a cache. A key unknown or expired is a 404, espeak-ng missing or failing a
    503, both in plain text; Range requests get their part, as Safari's player needs."""
    if language not in VOICES:
        raise Http404
    with translation.override(language):
        store = CaptchaStore.objects.filter(hashkey=key, expiration__gt=timezone.now()).first()
        if store is None:
            return _plain(404, _("This CAPTCHA has expired. Load a new picture."))
        try:
            sound = speak(store.challenge)
        except SpeechFailed as error:
            logger.warning("The CAPTCHA could not be read aloud: %s", error)
            message = _(
                "The CAPTCHA can't be read aloud right now. Type the characters in the picture."
            )
            return _plain(503, message)
    response = RangedFileResponse(request, BytesIO(sound), content_type="audio/wav")
    response["Accept-Ranges"] = "bytes"
    if response.status_code == 200:
        response["Content-Length"] = len(sound)
    response["Content-Disposition"] = 'inline; filename="captcha.wav"'
    return response


@never_cache
@require_safe
def refresh(request):
    """A new challenge for captcha.js's "New picture": its key, picture and audio (the library's
    view, which this one replaces at its URL, has no audio without flite)."""
    if request.headers.get("x-requested-with") != "XMLHttpRequest":
        raise Http404
    from accounts.forms.contact import new_challenge  # the form imports this module

    key = new_challenge()
    return JsonResponse(
        {"key": key, "image_url": captcha_image_url(key), "audio_url": audio_url(key)}
    )
