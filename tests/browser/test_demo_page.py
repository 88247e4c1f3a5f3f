"""The demo chat page in headless Chromium (Debian's), against the real app in demo mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from harness import demo_settings
from playwright.async_api import Browser, Page, expect

from yorisoi.app import create_app
from yorisoi.clock import FakeClock

SCREENSHOT = Path("/tmp/demo.png")


@pytest.fixture
async def demo_url(tmp_path: Path) -> AsyncIterator[str]:
    """The demo app on a real loopback port; the URL of its chat page."""
    settings = demo_settings(tmp_path)
    async with TestServer(create_app(settings, clock=FakeClock()), host="127.0.0.1") as server:
        yield str(server.make_url("/demo"))


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1000, "height": 820}
    )
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        await context.close()
    assert errors == [], errors


async def test_chat_as_a_new_user(demo_url: str, page: Page) -> None:
    await page.goto(demo_url)
    await expect(page.get_by_role("heading", name="よりそい（デモ）")).to_be_visible()
    await expect(page.get_by_text("LINE には 届きません")).to_be_visible()

    await page.get_by_role("button", name="＋ 新しい利用者").click()

    bot_bubbles = page.locator(".row.bot .bubble")
    user_bubbles = page.locator(".row.user .bubble")
    await expect(page.locator(".system")).to_have_text("友だち追加しました")
    await expect(bot_bubbles).to_have_count(3)
    await expect(bot_bubbles.first).to_contain_text("友だち追加、ありがとうございます。")
    chips = page.locator(".chip")
    await expect(chips).to_have_text(["よくある質問", "モヤモヤを話す", "相談員と話す"])

    await chips.filter(has_text="よくある質問").click()

    await expect(user_bubbles.last).to_have_text("よくある質問")  # the action's displayText
    await expect(bot_bubbles).to_have_count(4)
    await expect(bot_bubbles.last).to_contain_text("どんな ことを しらべますか")
    # The category path: a category, one of its questions, the answer, 役に立った.
    await chips.filter(has_text="住む場所").click()
    await expect(bot_bubbles).to_have_count(5)
    await expect(bot_bubbles.last).to_contain_text("どの 質問ですか")
    await chips.first.click()
    helpful = chips.filter(has_text="役に立った")
    await expect(helpful).to_have_count(1)
    await expect(chips.filter(has_text="相談員と話したい")).to_have_count(1)
    await helpful.click()
    await expect(bot_bubbles.last).to_contain_text("教えてくれて ありがとう")
    await expect(chips).to_have_text(["よくある質問", "モヤモヤを話す", "相談員と話す"])
    bots, users = await bot_bubbles.count(), await user_bubbles.count()
    assert users == 4

    box = page.get_by_role("textbox", name="メッセージ")
    await box.fill("ねむれない")
    # Enter that confirms an IME conversion must not send.
    await box.dispatch_event("keydown", {"key": "Enter", "isComposing": True})
    await expect(box).to_have_value("ねむれない")
    await box.press("Enter")

    await expect(box).to_have_value("")
    await expect(user_bubbles).to_have_count(users + 1)
    await expect(user_bubbles.last).to_have_text("ねむれない")
    # ねむれない is a `concern` signal: one gentle check-in line, then the menu as before.
    await expect(bot_bubbles).to_have_count(bots + 2)
    await expect(bot_bubbles.nth(bots)).to_contain_text("話してくれて、ありがとう")
    await expect(bot_bubbles.last).to_contain_text("どうしますか？")
    await expect(chips).to_have_count(3)

    await page.get_by_role("button", name="スタンプを送る").click()
    await page.locator(".sticker-choice", has_text="ありがとう").click()
    await expect(page.locator(".row.user .sticker")).to_contain_text("[スタンプ] ありがとう")
    await expect(bot_bubbles).to_have_count(bots + 3)
    await page.get_by_role("button", name="画像を送る").click()
    await expect(page.locator(".row.user .image-placeholder")).to_contain_text("画像")
    await expect(bot_bubbles).to_have_count(bots + 4)

    # A reload re-reads the thread from the server: nothing is lost.
    await page.reload()
    await expect(bot_bubbles).to_have_count(bots + 4)
    await expect(user_bubbles).to_have_count(users + 1)
    await expect(page.locator(".row.user .sticker")).to_have_count(1)
    await expect(page.locator(".user-button")).to_have_count(1)

    await page.screenshot(path=str(SCREENSHOT))


async def test_block_and_unblock(demo_url: str, page: Page) -> None:
    await page.goto(demo_url)
    await page.get_by_role("button", name="＋ 新しい利用者").click()
    await expect(page.locator(".row.bot .bubble")).to_have_count(3)

    await page.get_by_role("button", name="ブロック", exact=True).click()

    await expect(page.get_by_text("ブロックしました")).to_be_visible()
    await expect(page.get_by_role("textbox", name="メッセージ")).to_be_disabled()
    await expect(page.locator("#quick-replies")).to_be_hidden()

    await page.get_by_role("button", name="ブロック解除").click()

    await expect(page.locator(".row.bot .bubble").last).to_contain_text("おかえりなさい。")
    await expect(page.get_by_role("textbox", name="メッセージ")).to_be_enabled()


async def test_a_server_error_is_shown(demo_url: str, page: Page) -> None:
    await page.goto(demo_url)
    await page.get_by_role("button", name="＋ 新しい利用者").click()
    await expect(page.locator(".row.bot .bubble")).to_have_count(3)
    await page.route(
        "**/demo/api/events",
        lambda route: route.fulfill(
            status=400,
            content_type="application/json",
            body='{"error": "bad_kind", "message": "送る種類がわかりません。"}',
        ),
    )

    await page.get_by_role("textbox", name="メッセージ").fill("こんにちは")
    await page.get_by_role("button", name="送信").click()

    await expect(page.get_by_role("alert")).to_contain_text("送る種類がわかりません。")
    await expect(page.locator(".row.user .failed")).to_have_text("送れませんでした")
