"""A real browser for the tests (Debian's Chromium, driven by Playwright for Python), run in a thread of its own:
Playwright's synchronous API keeps an event loop running in the thread that drives it, and pyHanko, which
the same tests call to sign and validate, refuses to start its own inside one. One browser serves the whole
session; every page it opens is watched for requests, and a request that is not for a local file fails the
test that made it."""

from __future__ import annotations

import os
import queue
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def chromium_and_playwright():
    """(playwright.sync_api, the path of Chromium), or a skip (a failure under CI) when either is missing."""
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing (.ci/run installs it)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return playwright, chromium


class Browser:
    """Chromium in its own thread; `run(job)` calls job(browser) there and returns what it returns."""

    def __init__(self) -> None:
        self.playwright, self.chromium = chromium_and_playwright()
        self.jobs: queue.Queue = queue.Queue()
        self.requests: list[str] = []
        ready: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self.thread.start()
        started = ready.get(timeout=120)
        if isinstance(started, BaseException):
            raise started

    def _serve(self, ready: queue.Queue) -> None:
        try:
            with self.playwright.sync_playwright() as driver:
                chrome = driver.chromium.launch(executable_path=self.chromium, args=["--no-sandbox"])
                ready.put(True)
                while (job := self.jobs.get()) is not None:
                    function, answer = job
                    try:
                        answer.put((True, function(chrome)))
                    except BaseException as error:  # noqa: BLE001 - handed to the test that asked
                        answer.put((False, error))
                chrome.close()
        except BaseException as error:  # noqa: BLE001 - handed to the fixture that started the browser
            ready.put(error)

    def run(self, job: Callable[[Any], Any]) -> Any:
        answer: queue.Queue = queue.Queue()
        self.jobs.put((job, answer))
        done, value = answer.get(timeout=300)
        if not done:
            raise value
        return value

    def judge(self, page_file: Path, files: list[Path], anchor: Path | None = None, pin: str = "") -> tuple[str, str]:
        """The verifier page's verdict (data-verdict) and its text, for `files` given to its input, with the
        authority to trust instead (`anchor`) and a pinned fingerprint when given."""
        def job(chrome) -> tuple[str, str]:
            page = chrome.new_page()
            page.on("request", lambda request: self.requests.append(request.url))
            try:
                page.goto(page_file.as_uri())
                if anchor is not None:
                    page.set_input_files("#anchor", str(anchor))
                if pin:
                    page.click("#trust summary")  # as a reader opens the section first
                    page.fill("#pin", pin)
                page.set_input_files("#files", [str(file) for file in files])
                # (the page's CSP allows no script but its own, so the wait is a selector, never an evaluated string)
                page.wait_for_selector('#verdict:not([data-verdict=""])', state="attached", timeout=120_000)
                return page.get_attribute("#verdict", "data-verdict") or "", page.inner_text("#verdict")
            finally:
                page.close()

        verdict = self.run(job)
        assert all(url.startswith("file:") for url in self.requests), self.requests
        return verdict

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=60)
