"""Shared by the browser tests: headless Chromium through Playwright, or a loud skip.

A test module calls `require_chromium()` before importing Playwright, and takes the
`browser_page` fixture by importing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

CHROMIUM = "/usr/bin/chromium"
T = TypeVar("T")


def require_chromium() -> None:
    """Skip the calling module when Chromium is missing; fail instead where CI demands it."""
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("INSIGHTSTOCK_REQUIRE_BROWSER"):
        raise RuntimeError(f"{CHROMIUM} is required here (INSIGHTSTOCK_REQUIRE_BROWSER is set)")
    pytest.skip(
        f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (install Debian's chromium package)",
        allow_module_level=True,
    )


def in_thread(function: Callable[[], T]) -> T:
    """Run ORM code while Playwright's event loop owns this thread (Django refuses it there)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


@pytest.fixture
def browser_page() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"
