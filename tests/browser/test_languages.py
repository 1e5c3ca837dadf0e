"""Phone sign-ups in Chromium in Hindi (the browser's language) and in Chinese (the switcher):
the pages, the country picker and the SMS are in that language, and the language comes back
when the person signs in from another browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.browser.pages import ARTIFACTS, code_from_outbox
from tests.helpers import GOOD_PASSWORD, last_message_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_portal(browser, live_server, celery_worker, settings):
    """Opens the live portal in a new browser context that speaks `locale`."""
    settings.DEBUG = True
    contexts = []

    def open_page(locale: str) -> Page:
        context = browser.new_context(base_url=live_server.url, locale=locale)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def test_phone_sign_up_in_hindi_from_the_browsers_language(open_portal):
    page = open_portal("hi-IN")
    page.goto("/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_role("heading", level=1)).to_have_text("खाता बनाएँ")
    country = page.get_by_label("देश/क्षेत्र")
    expect(country).to_have_value("IN")
    expect(country.locator("option[value=IN]")).to_have_text("भारत (+91)")
    page.get_by_label("फ़ोन नंबर").fill("98765 43210")
    page.get_by_label("कैप्चा").fill("PASSED")
    page.get_by_role("button", name="कोड भेजें").click()
    expect(page.get_by_role("status")).to_contain_text("6 अंकों का कोड")

    code = code_from_outbox(page, "+919876543210")
    sms = last_message_to("+919876543210").body
    assert code in sms and "Account Portal कोड" in sms and "मिनट" in sms, sms

    page.get_by_label(re.compile("सेवा की शर्तों")).check()
    page.get_by_label("सत्यापन कोड").fill(code)
    page.get_by_label("पासवर्ड", exact=True).fill(GOOD_PASSWORD)
    page.get_by_label("पासवर्ड की पुष्टि करें").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="खाता बनाएँ").click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("मेरा खाता")
    page.screenshot(path=str(ARTIFACTS / "account-page-hindi.png"), full_page=True)
    assert User.objects.get(phone="+919876543210").language == "hi"


def test_phone_sign_up_in_chinese_with_the_switcher_and_it_comes_back_after_sign_in(
    open_portal,
):
    page = open_portal("en-US")
    page.goto("/accounts/signup/")
    expect(page.get_by_label("Country/Region")).to_have_value("US")
    page.get_by_role("button", name="简体中文").click()

    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    country = page.get_by_label("国家/地区")
    expect(country).to_have_value("CN")
    expect(country.locator("option[value=CN]")).to_have_text("中国 (+86)")
    page.get_by_label("手机号").fill("138 0013 8000")
    page.get_by_label("验证字符").fill("PASSED")
    page.get_by_role("button", name="发送验证码").click()
    expect(page.get_by_role("status")).to_contain_text("6 位验证码")

    code = code_from_outbox(page, "+8613800138000")
    sms = last_message_to("+8613800138000").body
    assert code in sms and "Account Portal 验证码" in sms and "分钟内有效" in sms, sms

    page.get_by_label(re.compile("服务条款")).check()
    page.get_by_label("验证码", exact=True).fill(code)
    page.get_by_label("密码", exact=True).fill(GOOD_PASSWORD)
    page.get_by_label("确认密码").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="创建账号").click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的账号")
    page.screenshot(path=str(ARTIFACTS / "account-page-chinese.png"), full_page=True)

    # Another browser, in English: after signing in, the person's Chinese comes back.
    other = open_portal("en-US")
    other.goto("/accounts/login/")
    expect(other.get_by_role("heading", level=1)).to_have_text("Sign in")
    other.get_by_label("Phone number, email or account ID").fill("+86 138 0013 8000")
    other.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    other.get_by_role("button", name="Sign in", exact=True).click()
    expect(other).to_have_url(re.compile(r"/account/$"))
    expect(other.get_by_role("heading", level=1)).to_have_text("我的账号")
    other.get_by_role("button", name="退出登录").click()
    expect(other.get_by_role("link", name="登录").first).to_be_visible()
