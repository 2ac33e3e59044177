"""Fixtures for the browser tests: the built site served on 127.0.0.1 and headless Chromium.

The tests skip with a message when the site is not built or Chromium is missing, except under
CI=true, where both must be present and the tests must run.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading

import pytest
from sitepaths import SITE, site_pages  # noqa: F401  (re-exported for the tests)

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_url():
    if not (SITE / "index.html").exists():
        _unavailable(f"the site is not built ({SITE} has no index.html): run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        _unavailable("Chromium is not installed (Debian/Ubuntu: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


class PageVisit:
    """A page opened in a fresh context, recording console errors and every request URL.

    ``phone``: a 412 x 823 touch screen, Lighthouse's mobile preset; ``init_script`` runs in the
    page before any of its own scripts.
    """

    def __init__(self, browser, url: str, phone: bool = False, init_script: str | None = None):
        self.context = (browser.new_context(viewport={"width": 412, "height": 823}, is_mobile=True,
                                            has_touch=True)
                        if phone else browser.new_context())
        self.page = self.context.new_page()
        if init_script:
            self.page.add_init_script(init_script)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status} for {r.url}"))
        self.page.goto(url, wait_until="load")

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, site_url):
    opened: list[PageVisit] = []

    def _visit(page: str, **options) -> PageVisit:
        v = PageVisit(browser, f"{site_url}/{page}", **options)
        opened.append(v)
        return v

    yield _visit
    for v in opened:
        v.close()
