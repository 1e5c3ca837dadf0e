"""A user agent in words a person recognises (accounts.web.browsers.describe): the browser and
what it runs on, the phone's model when the user agent names one, from ua-parser's kept list."""

import pytest
from django.utils import translation

from accounts.web.browsers import _names, describe

PIXEL = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80"
)
SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36"
)
# Chrome's reduced user agent: every Android phone is "K".
REDUCED = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("user_agent", "said"),
    [
        (PIXEL, "Chrome on Pixel 8"),
        (IPHONE, "Safari on iPhone"),
        (EDGE, "Edge on Windows"),
        (SAMSUNG, "Samsung Internet on Samsung SM-S918B"),
        (REDUCED, "Chrome on Android"),
        (MAC, "Safari on macOS"),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) Chrome/124.0.0.0 Safari/537.36",
            "Chrome on ChromeOS",
        ),
        ("Mozilla/5.0 (Windows NT 10.0) Firefox/132.0", "Firefox on Windows"),
    ],
)
def test_a_browser_is_named_with_its_system_or_its_phone(user_agent, said):
    with translation.override("en"):
        assert str(describe(user_agent)) == said


@pytest.mark.parametrize("user_agent", ["", "garbage \x00 ~~~", "(((", "Mozilla/5.0 " + "x" * 5000])
def test_an_empty_or_garbage_user_agent_is_an_unknown_browser(user_agent):
    with translation.override("en"):
        assert str(describe(user_agent)) == "Unknown browser"


def test_a_phone_model_is_named_in_the_language_the_words_around_it_are_shown_in():
    with translation.override("hi"):
        assert str(describe(PIXEL)) == "Pixel 8 पर Chrome"
    with translation.override("zh-hans"):
        assert str(describe(IPHONE)) == "iPhone 上的 Safari"
        assert str(describe("")) == "未知浏览器"


def test_a_user_agent_is_parsed_once_however_often_it_is_described():
    _names.cache_clear()
    for _ in range(50):
        describe(EDGE)
        describe(PIXEL)
    info = _names.cache_info()
    assert (info.misses, info.hits) == (2, 98)
