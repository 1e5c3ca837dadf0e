"""Languages: English, Simplified Chinese and Hindi. The browser's Accept-Language picks one,
the switcher changes it, a signed-in person's choice is kept on their account and writes their
SMS and email; dates and the country picker follow the language; the catalogues are complete
and compiled."""

import gettext
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from babel.messages.pofile import read_po
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from accounts.models import User
from tests.helpers import GOOD_PASSWORD, last_message_to, send_code, sign_in, sign_up

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = {"zh_Hans": "zh-hans", "hi": "hi"}
PHONE = "+919876543210"

pytestmark = pytest.mark.django_db(transaction=True)

# Code messages go out as SMS: in Chinese and Hindi (UCS-2) one segment holds 70 characters.
CODE_MESSAGES = [
    "signup_code",
    "password_reset_code",
    "contact_code",
    "phone_code",
    "second_factor_code",
    "second_factor_confirm",
]


def ucs2_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def catalogue(locale: str, root: Path = ROOT):
    with open(root / "locale" / locale / "LC_MESSAGES" / "django.po", "rb") as po:
        return read_po(po, locale=locale)


def untranslated(locale: str, root: Path) -> list[str]:
    problems = []
    for message in catalogue(locale, root):
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(forms):
            problems.append(f"untranslated: {message.id!r}")
    return problems


# --- The catalogues -------------------------------------------------------------------------------
def test_every_message_of_the_source_is_translated_in_chinese_and_hindi(tmp_path):
    """Extract the messages from the source as it is now (makemessages into a copy of the
    project), so a new or changed text without a translation fails here."""
    if shutil.which("xgettext") is None:
        pytest.fail("makemessages needs GNU gettext: apt-get install gettext (CI installs it)")
    copy = tmp_path / "portal"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "vendor")
    for folder in (
        "accounts",
        "verification",
        "devices",
        "cloud",
        "ecosystem",
        "config",
        "templates",
    ):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    shutil.copytree(ROOT / "static" / "js", copy / "static" / "js")
    shutil.copytree(ROOT / "locale", copy / "locale")
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    command = [sys.executable, "manage.py", "makemessages", "--no-obsolete"]
    command += [arg for locale in CATALOGUES for arg in ("-l", locale)]
    result = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for locale in CATALOGUES:
        problems = untranslated(locale, copy)
        assert not problems, f"{locale}: run `make messages`, then translate:\n" + "\n".join(
            problems
        )
        assert len(catalogue(locale, copy)) == len(catalogue(locale)), (
            f"{locale}: the committed catalogue is not the source's: run `make messages`"
        )


@pytest.mark.parametrize("locale", CATALOGUES)
def test_the_compiled_catalogues_match_their_sources(locale):
    """The .mo files (what Django reads) say what the .po files say: `make translations`
    was run after the last change."""
    path = ROOT / "locale" / locale / "LC_MESSAGES" / "django.mo"
    with open(path, "rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    expected = {}
    for message in catalogue(locale):
        if not message.id:
            continue
        # gettext keys a message with a context as "context\x04message".
        prefix = f"{message.context}\x04" if message.context else ""
        if isinstance(message.id, tuple):
            for index, form in enumerate(message.string):
                expected[(prefix + message.id[0], index)] = form
        else:
            expected[prefix + message.id] = message.string
    compiled = {key: value for key, value in compiled.items() if key != ""}
    assert compiled == expected, f"run `make translations` for {locale}"


@pytest.mark.parametrize("language", ["zh-hans", "hi"])
@pytest.mark.parametrize("name", CODE_MESSAGES)
def test_code_texts_fit_one_sms_segment(language, name):
    with translation.override(language):
        text = render_to_string(
            f"accounts/messages/{name}_body.txt", {"code": "123456", "minutes": 10}
        ).strip()
    assert "123456" in text and "10" in text or name == "phone_code"
    assert ucs2_length(text) <= 70, f"{language} {name}: {ucs2_length(text)} characters: {text}"


# --- Choosing the language ------------------------------------------------------------------------
def test_english_without_accept_language():
    page = Client().get("/accounts/signup/").content.decode()
    assert '<html lang="en">' in page and "Create account" in page
    assert '<option value="IN" selected>India (+91)</option>' in page


def test_chinese_from_accept_language_with_chinese_countries_starting_on_china():
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get("/accounts/signup/")
    html = page.content.decode()
    assert '<html lang="zh-hans">' in html and "创建账号" in html
    assert '<option value="CN" selected>中国 (+86)</option>' in html
    assert "印度 (+91)" in html and "India" not in html
    assert page["Content-Language"] == "zh-hans"


def test_hindi_from_accept_language_starts_on_india():
    html = Client(HTTP_ACCEPT_LANGUAGE="hi-IN,hi").get("/accounts/login/").content.decode()
    assert '<html lang="hi">' in html and "साइन इन करें" in html
    assert '<option value="IN" selected>भारत (+91)</option>' in html


@pytest.mark.parametrize(
    ("accept", "region"), [("en-US,en;q=0.9", "US"), ("en-GB", "GB"), ("en", "IN"), ("en-AQ", "IN")]
)
def test_english_starts_on_the_region_of_accept_language(accept, region):
    html = Client(HTTP_ACCEPT_LANGUAGE=accept).get("/accounts/signup/").content.decode()
    assert re.search(rf'<option value="{region}" selected>', html), region


def test_the_switcher_is_on_every_page_and_works_without_javascript():
    client = Client()
    page = client.get("/legal/terms/").content.decode()
    assert 'action="/language/"' in page
    # One press per language: a button each, the current one marked.
    assert 'name="language" value="hi" lang="hi" class="link-button">हिन्दी</button>' in page
    response = client.post("/language/", {"language": "zh-hans", "next": "/legal/terms/"})
    assert response.status_code == 302 and response["Location"] == "/legal/terms/"
    assert "服务条款" in client.get("/legal/terms/").content.decode()


def test_an_unknown_language_is_ignored():
    client = Client()
    response = client.post("/language/", {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/legal/terms/").content.decode()


# --- The person's language ------------------------------------------------------------------------
def test_a_sign_up_code_is_written_in_the_language_of_the_page():
    client = Client(HTTP_ACCEPT_LANGUAGE="hi")
    send_code(client, phone="98765 43210")
    body = last_message_to(PHONE).body
    assert "कोड" in body and "मिनट" in body


def test_the_account_keeps_the_language_it_was_created_in():
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    sign_up(client, phone="98765 43210")
    assert User.objects.get(phone=PHONE).language == "zh-hans"


def test_codes_and_notices_for_an_existing_account_go_in_the_accounts_language():
    """Asked from a Chinese page, for an account that reads English: the reset code, and the
    notice that replaces a sign-up code to a taken number, are in English."""
    sign_up(Client(HTTP_ACCEPT_LANGUAGE="en"), phone="98765 43210")
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    chinese.post(
        "/accounts/password/reset/",
        {"action": "send", "captcha_0": "test", "captcha_1": "PASSED", "method": "phone"}
        | {"country": "IN", "phone": "98765 43210"},
    )
    body = last_message_to(PHONE).body
    assert "code" in body and not re.search(r"[\u4e00-\u9fff]", body), body
    later = timezone.now() + timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        send_code(Client(HTTP_ACCEPT_LANGUAGE="zh-CN"), phone="98765 43210")
        notice = last_message_to(PHONE).body
    assert notice != body and not re.search(r"[\u4e00-\u9fff]", notice), notice
    # A contact with no account yet gets its sign-up code in the page's language.
    send_code(chinese, phone="98765 43211")
    assert re.search(r"[\u4e00-\u9fff]", last_message_to("+919876543211").body)


def test_switching_is_remembered_and_comes_back_after_signing_in_elsewhere():
    client = Client()
    sign_up(client, phone="98765 43210")
    assert User.objects.get(phone=PHONE).language == "en"
    client.post("/language/", {"language": "hi", "next": "/account/"})
    assert User.objects.get(phone=PHONE).language == "hi"
    client.post("/accounts/logout/")

    elsewhere = Client()  # another browser: no language cookie, no Accept-Language
    assert "Sign in" in elsewhere.get("/accounts/login/").content.decode()
    response = sign_in(elsewhere, PHONE)
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "hi"
    page = elsewhere.get("/account/").content.decode()
    assert '<html lang="hi">' in page and "मेरा खाता" in page
    # allauth has no Hindi: its "signed in" message comes from the portal's catalogue.
    assert "के रूप में साइन इन हो गया।" in page


def test_the_password_changed_notice_goes_out_in_the_persons_language():
    client = Client()
    sign_up(client, phone="98765 43210")
    client.post("/language/", {"language": "zh-hans", "next": "/"})
    client.post(
        "/accounts/password/change/",
        {"oldpassword": GOOD_PASSWORD, "password1": "Green!Lamp57y", "password2": "Green!Lamp57y"},
    )
    body = last_message_to(PHONE).body
    assert "密码已于" in body and "年" in body, body


def test_a_notice_set_off_by_someone_else_is_in_the_persons_language():
    """Support acts in English; the person reads Hindi."""
    from accounts.actions.moderation import moderate

    client = Client(HTTP_ACCEPT_LANGUAGE="hi")
    sign_up(client, phone="98765 43210")
    user = User.objects.get(phone=PHONE)
    staff = User.objects.create_user(email="staff@example.com", password=GOOD_PASSWORD)
    staff.is_staff = staff.is_superuser = True
    staff.save()
    with translation.override("en"):
        moderate(
            user=user,
            actor=staff,
            action="suspend",
            reason="Cooling off",
            share_reason=True,
            until=timezone.now() + timedelta(days=1),
        )
    body = last_message_to(PHONE).body
    assert "निलंबित" in body and "Cooling off" in body, body


# --- Dates, numbers and words on pages ------------------------------------------------------------
def test_the_security_log_shows_dates_and_events_in_the_language():
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    sign_up(client, phone="98765 43210")
    page = client.get("/account/security-log/").content.decode()
    today = timezone.now()
    assert f"{today.year}年{today.month}月{today.day}日" in page
    assert "创建了账号" in page
    client.post("/language/", {"language": "en", "next": "/"})
    page = client.get("/account/security-log/").content.decode()
    assert today.strftime("%b %Y") in page and "Account created" in page


def test_the_security_log_translates_the_words_it_stored_in_english():
    client = Client()
    sign_up(client, phone="98765 43210")
    client.post("/cloud/", {"category": "gallery", "enabled": "on"})
    client.post("/language/", {"language": "zh-hans", "next": "/"})
    page = client.get("/account/security-log/").content.decode()
    assert "更改了云同步" in page and "图库 · 开启" in page


def test_cloud_storage_figures_are_written_in_the_language():
    client = Client(HTTP_ACCEPT_LANGUAGE="hi")
    sign_up(client, phone="98765 43210")
    page = client.get("/cloud/").content.decode()
    assert "5.0\xa0जीबी" in page and "इस्तेमाल हुआ" in page


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("hi", ["एक बड़ा अक्षर", "यह पासवर्ड बहुत आम है।"]),
        ("zh-hans", ["大写字母", "这个密码太常见了。"]),
    ],
)
def test_the_password_rules_speak_the_language_of_the_page(language, words):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with translation.override(language), pytest.raises(ValidationError) as refused:
        validate_password("password")
    said = " ".join(refused.value.messages)
    assert all(word in said for word in words), said


def test_the_switcher_names_each_language_in_itself():
    page = Client(HTTP_ACCEPT_LANGUAGE="hi").get("/legal/terms/").content.decode()
    assert 'value="en" lang="en" class="link-button">English</button>' in page
    assert 'value="hi" lang="hi" class="link-button" aria-current="true" disabled>हिन्दी' in page


@pytest.mark.parametrize(
    ("language", "said"),
    [("hi", "5 मिनट पहले"), ("zh-hans", "5 分钟之前"), ("en", "5\xa0minutes ago")],
)
def test_last_seen_times_speak_the_language_of_the_page(language, said):
    from datetime import timedelta

    from django.contrib.humanize.templatetags.humanize import naturaltime
    from django.utils import timezone

    with translation.override(language):
        assert naturaltime(timezone.now() - timedelta(minutes=5, seconds=2)) == said


@pytest.mark.parametrize(
    ("month", "hindi"), [(9, "सितंबर"), (11, "नवंबर"), (12, "दिसंबर"), (2, "फ़रवरी")]
)
def test_hindi_dates_spell_the_months_right(month, hindi):
    import datetime

    from django.utils import formats

    with translation.override("hi"):
        written = formats.date_format(datetime.date(2026, month, 6), "DATE_FORMAT")
    assert written == f"6 {hindi} 2026"


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "Chrome on Linux"), ("zh-hans", "Linux 上的 Chrome"), ("hi", "Linux पर Chrome")],
)
def test_a_browser_is_named_in_the_language_it_is_shown_in(language, said):
    from accounts.web.browsers import describe

    chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
    with translation.override(language):
        assert str(describe(chrome)) == said
        assert str(describe("")) != "Unknown browser" or language == "en"


def test_the_portal_api_answers_in_the_accounts_language():
    import uuid

    client = Client(HTTP_ACCEPT_LANGUAGE="hi")
    sign_up(client, phone="98765 43210")
    missing = client.get(f"/api/v1/devices/{uuid.uuid4()}/")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "आपके खाते में ऐसा कोई डिवाइस नहीं है।"
