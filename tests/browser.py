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
from django.db import connections

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

    def run() -> T:
        try:
            return function()
        finally:
            # The thread ends here: its connection must go back to the pool, or each call
            # keeps one of the pool's connections checked out until the pool has none left.
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def browser_pages() -> Iterator[Callable[..., object]]:
    """A factory of pages, each in its own browser context (its own cookies: another person).
    Any JavaScript error on any of them fails the test."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])

        def new_page(
            locale: str = "en-US", width: int = 1280, height: int = 900, **options: object
        ) -> object:
            # options: more of Playwright's context settings (is_mobile, has_touch for a phone)
            context = browser.new_context(
                locale=locale, viewport={"width": width, "height": height}, **options
            )
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            return page

        yield new_page
        browser.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def browser_page(browser_pages: Callable[..., object]) -> object:
    return browser_pages()
