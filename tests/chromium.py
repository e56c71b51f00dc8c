"""A headless Debian ``chromium`` driven over the Chrome DevTools Protocol, for the HTML tests.

Why this and not Playwright: Playwright drives only the browser builds it downloads itself
(none can be downloaded here), and pins the protocol to them; the DevTools Protocol is
Chromium's own, stable across versions, and ``websocket-client`` (pure Python, no browser
download) is all it takes. One browser per test module; each page is a fresh target that
records its console errors, uncaught exceptions and every request it makes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

# quiet, offline, no first-run or background services: a test browser talks to nobody
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--no-default-browser-check", "--disable-background-networking", "--disable-sync",
    "--disable-component-update", "--disable-default-apps", "--disable-extensions",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-pings",
    "--metrics-recording-only", "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--hide-scrollbars", "--mute-audio",
)
START_TIMEOUT = 30.0
CALL_TIMEOUT = 30.0


class BrowserError(Exception):
    pass


def executable() -> str:
    """Debian's chromium, as `make setup` installs it; a clear failure when it is missing."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise BrowserError("chromium is not installed: run `make setup` (it installs Debian's "
                           "chromium), or apt-get install chromium")
    return exe


class Chromium:
    """One headless browser process and one DevTools connection to it."""

    def __init__(self) -> None:
        import websocket  # websocket-client (dev extra)

        self.profile = Path(tempfile.mkdtemp(prefix="tc-chromium-"))
        self.proc = subprocess.Popen(
            [executable(), *FLAGS, "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while not (port_file.is_file() and len(port_file.read_text().split()) == 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise BrowserError("chromium did not start")
            time.sleep(0.05)
        port, path = port_file.read_text().split()
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}",
                                              timeout=CALL_TIMEOUT, suppress_origin=True)
        self.events: list[dict[str, Any]] = []
        self._id = 0

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + CALL_TIMEOUT
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)
        raise BrowserError(f"{method}: no reply")

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + CALL_TIMEOUT
        seen = 0
        while time.monotonic() < deadline:
            for e in self.events[seen:]:
                if e.get("method") == method and e.get("sessionId") == session:
                    return e
            seen = len(self.events)
            self.events.append(json.loads(self.ws.recv()))
        raise BrowserError(f"no {method}")

    def open(self, url: str, width: int = 1280, height: int = 900) -> Page:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session)
        self.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", session)
        return Page(self, session, target)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab: evaluate script, type, and read what it logged and requested."""

    def __init__(self, browser: Chromium, session: str, target: str):
        self.browser, self.session, self.target = browser, session, target

    def eval(self, expression: str) -> Any:
        r = self.browser.call("Runtime.evaluate", self.session, expression=expression,
                              returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise BrowserError(f"script failed: {r['exceptionDetails'].get('text')}")
        return r["result"].get("value")

    def type(self, selector: str, text: str) -> None:
        """Focus ``selector``, clear it and type ``text`` as a user would (input events)."""
        self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                  "e.focus(); e.select(); return true; })()")
        self.browser.call("Input.insertText", self.session, text=text)
        if not text:
            self.browser.call("Input.dispatchKeyEvent", self.session, type="keyDown",
                              key="Backspace", code="Backspace", windowsVirtualKeyCode=8)

    def choose(self, selector: str, value: str) -> None:
        """Pick an option of a <select> and fire its change event, as a user's pick does."""
        self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                  f"e.value = {json.dumps(value)}; "
                  "e.dispatchEvent(new Event('change', {bubbles: true})); return e.value; })()")

    def _mine(self) -> list[dict[str, Any]]:
        self.eval("0")  # let pending events arrive
        return [e for e in self.browser.events if e.get("sessionId") == self.session]

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors (CSP violations too)."""
        out = []
        for e in self._mine():
            p = e.get("params", {})
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails", {}).get("text")))
            elif e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in (
                    "error", "assert", "warning"):
                out.append(" ".join(str(a.get("value")) for a in p.get("args", [])))
            elif e.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") in (
                    "error", "warning"):
                out.append(str(p["entry"].get("text")))
        return out

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self._mine()
                if e.get("method") == "Network.requestWillBeSent"]

    def screenshot(self, path: Path) -> None:
        import base64

        data = self.browser.call("Page.captureScreenshot", self.session, format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self.browser.call("Target.closeTarget", targetId=self.target)
