#!/usr/bin/python3
"""The device's upload page in a real browser: headless Chromium through Selenium against
`otakit device --http-port`. Without credentials: the page shows the running image, a new image
is chosen and uploaded with a progress bar that moves to 100 %, and the page finds the device again
after its reboot showing the new MD5; with JavaScript off, the plain form upload works. With Basic auth: wrong credentials get no page and make an
upload fail with "wrong or missing credentials"; with the right ones, a file larger than the free
space is refused in the page and a bad image shows the Updater's error while the old image runs on.

Usage: web_browser.py OTAKIT   (exit 77 when Chromium, its driver or Selenium is missing)
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request

from headless_chromium import (SKIP, CHROMIUM, CHROMEDRIVER, NoSuchElementException, StaleElementReferenceException,
                              TimeoutException, By, WebDriverWait, start_browser)
import trio  # for the DevTools connection; headless_chromium checked it is there
import trio_websocket


class Failure(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Device:
    """One `otakit device` process on a flash file in `folder`, serving the page on a free port."""

    def __init__(self, otakit, folder, name, *flags):
        self.otakit = otakit
        self.flash = os.path.join(folder, name + ".flash")
        self.port = free_port()
        self.log_path = os.path.join(folder, name + ".log")
        self.log = open(self.log_path, "w")
        command = [otakit, "device", "--flash", self.flash, "--http-port", str(self.port), *flags]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # What the device prints, line by line, for waits on what it says (not on a delay).
        self.lines = []
        self.ended = False
        self.printed = threading.Condition()
        self.reader = threading.Thread(target=self.read_output, daemon=True)
        self.reader.start()
        self.wait_listening()

    def read_output(self):
        for line in self.process.stdout:
            self.log.write(line)
            self.log.flush()
            with self.printed:
                self.lines.append(line)
                self.printed.notify_all()
        with self.printed:
            self.ended = True
            self.printed.notify_all()

    def wait_printed(self, text, seconds):
        """True once a line with `text` was printed; False when the device ended or time ran out."""
        with self.printed:
            self.printed.wait_for(lambda: self.ended or any(text in line for line in self.lines), seconds)
            return any(text in line for line in self.lines)

    def wait_listening(self, seconds=10):
        # "web: update page at" comes once the page listens and the boot (state file) is published.
        if self.wait_printed("web: update page at", seconds):
            return
        if self.ended:
            raise Failure(f"otakit device exited with {self.process.wait()}: {self.log_text()}")
        raise Failure(f"the device did not listen on port {self.port} within {seconds} s: {self.log_text()}")

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()[-2000:]

    def image(self):
        """The running image as `otakit device status` reads it from the device's state file."""
        out = subprocess.run([self.otakit, "device", "status", "--flash", self.flash, "--json"],
                             check=True, capture_output=True, text=True, timeout=10).stdout
        return json.loads(out)["image"]

    def wait_version(self, version, seconds=20):
        # The boot report ("image: ... version X") follows the state file that image() reads.
        self.wait_printed(f"version {version}", seconds)
        if self.image()["version"] != version:
            raise Failure(f"the device should run {version} within {seconds} s, it runs {self.image()}")

    def status_json(self, authorization=None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/update?status")
        if authorization:
            request.add_header("Authorization", authorization)
        with urllib.request.urlopen(request, timeout=5) as reply:
            return json.load(reply)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if kind is not None:
            print(f"the device's log ({self.log_path}):\n{self.log_text()}", file=sys.stderr)
        self.stop()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.reader.join(timeout=10)
        self.log.close()





class Page:
    """The upload page open in the browser, read and driven through its stable element ids."""

    def __init__(self, driver):
        self.driver = driver

    def text(self, element_id):
        return self.driver.find_element(By.ID, element_id).text

    def wait(self, condition, seconds, what):
        try:
            # The page may be between two documents (a form post navigating): look again.
            return WebDriverWait(self.driver, seconds, poll_frequency=0.1,
                                 ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
                                 ).until(lambda d: condition())
        except TimeoutException:
            raise Failure(f"{what} within {seconds} s; the page says: {self.message()!r}") from None

    def message(self):
        found = self.driver.find_elements(By.ID, "message")
        return found[0].text if found else "(no page)"

    def state(self):
        return self.driver.find_element(By.ID, "message").get_attribute("data-state")

    def wait_shows(self, image, seconds=10):
        self.wait(lambda: self.text("md5") == image["md5"], seconds, f"the page should show MD5 {image['md5']}")
        if image["version"] not in self.text("version"):
            raise Failure(f"the page shows version {self.text('version')!r}, the device runs {image['version']}")

    def record_progress(self):
        """Every value the progress bar takes from now on, kept in window.progressSeen."""
        self.driver.execute_script(
            "const bar = document.getElementById('progress'); window.progressSeen = [];"
            "new MutationObserver(() => window.progressSeen.push(Number(bar.value)))"
            ".observe(bar, {attributes: true});")

    def progress_seen(self):
        return self.driver.execute_script("return window.progressSeen")

    def upload(self, path):
        self.driver.find_element(By.ID, "file").send_keys(path)
        self.driver.find_element(By.ID, "upload").click()

    def wait_outcome(self, seconds):
        """Waits for the upload's final message: ('ok' or 'error', its text)."""
        self.wait(lambda: self.state() in ("ok", "error"), seconds, "the upload should end in success or failure")
        return self.state(), self.message()


def set_authorization(driver, value):
    """An Authorization header on every request of the browser from now on (None: no more)."""
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": value} if value else {}})


class LoginPromptsCancelled:
    """Closes every login prompt of the page as a user would (headless Chromium would wait on it
    forever), through a second DevTools connection: Fetch.authRequired -> CancelAuth. Selenium's
    own CDP commands cannot receive events."""

    def __init__(self, driver):
        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        with urllib.request.urlopen(f"http://{address}/json", timeout=5) as reply:
            targets = json.load(reply)
        self.url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        self.cancelled = 0
        self.ready = threading.Event()
        self.error = None

    def __enter__(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            raise Failure(f"the DevTools connection did not start: {self.error}")
        return self

    def __exit__(self, *exception):
        trio.from_thread.run_sync(self.scope.cancel, trio_token=self.token)
        self.thread.join(10)

    def run(self):
        try:
            trio.run(self.serve)
        except Exception as error:  # reported by __enter__ or by the test's own wait
            self.error = error

    async def serve(self):
        async with trio_websocket.open_websocket_url(self.url) as socket_:
            self.token = trio.lowlevel.current_trio_token()
            with trio.CancelScope() as self.scope:
                await self.send(socket_, 1, "Fetch.enable", handleAuthRequests=True, patterns=[{"urlPattern": "*"}])
                while json.loads(await socket_.get_message()).get("id") != 1:
                    pass
                self.ready.set()
                while True:
                    event = json.loads(await socket_.get_message())
                    request = event.get("params", {}).get("requestId")
                    if event.get("method") == "Fetch.requestPaused":
                        await self.send(socket_, 2, "Fetch.continueRequest", requestId=request)
                    elif event.get("method") == "Fetch.authRequired":
                        self.cancelled += 1
                        await self.send(socket_, 3, "Fetch.continueWithAuth", requestId=request,
                                        authChallengeResponse={"response": "CancelAuth"})

    @staticmethod
    async def send(socket_, command_id, method, **params):
        await socket_.send_message(json.dumps({"id": command_id, "method": method, "params": params}))


def expect(condition, what):
    if not condition:
        raise Failure(what)


def make_image(otakit, folder, name, version, size, seed):
    path = os.path.join(folder, name)
    subprocess.run([otakit, "mkimage", "--size", str(size), "--version", version, "--seed", str(seed),
                    "--out", path], check=True, capture_output=True, timeout=30)
    return path


def test_upload_and_reboot(otakit, folder, driver):
    with Device(otakit, folder, "open") as device:
        old = device.image()
        page = Page(driver)
        driver.get(f"http://127.0.0.1:{device.port}/update")
        page.wait_shows(old)
        expect(page.text("free") != "-", "the page should show the free space")

        new_image = make_image(otakit, folder, "v2.bin", "2.0.0", 200001, 7)
        # Loopback is too fast to see the bar move: about two seconds of upload instead.
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 100_000})
        page.record_progress()
        page.upload(new_image)
        state, text = page.wait_outcome(60)
        driver.execute_cdp_cmd("Network.disable", {})
        expect(state == "ok", f"the upload should succeed and the device come back: {text!r}")
        seen = page.progress_seen()
        expect(seen and seen[-1] == 100 and seen == sorted(seen) and any(0 < p < 100 for p in seen),
               f"the progress bar should rise through values between 0 and 100 to 100, it took {seen}")
        expect("100%" in page.text("bytes"), f"the progress text should say 100%: {page.text('bytes')!r}")
        expect("Updated to 2.0.0" in text, f"the page should say what it updated to: {text!r}")

        new = device.image()
        expect(new["version"] == "2.0.0", f"the device should run 2.0.0, it runs {new['version']}")
        expect(new["md5"] != old["md5"], "the device's MD5 should have changed")
        page.wait_shows(new, 5)
        print(f"upload page: {old['version']} -> {new['version']} through the browser, progress {seen}")

        # Without JavaScript the page is the original's two forms, and the firmware one still works.
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        driver.get(f"http://127.0.0.1:{device.port}/update")
        expect(driver.find_element(By.NAME, "filesystem").is_displayed(), "the filesystem form should show")
        page.upload(make_image(otakit, folder, "v3.bin", "3.0.0", 150001, 8))
        page.wait(lambda: "Update Success! Rebooting..." in driver.find_element(By.TAG_NAME, "body").text, 20,
                  "the plain form post should get the success page")
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
        device.wait_version("3.0.0")
        print("upload page without JavaScript: the plain form upload works")


def test_credentials_and_bad_image(otakit, folder, driver):
    with Device(otakit, folder, "auth", "--http-user", "admin", "--http-password", "secret") as device:
        page = Page(driver)
        base = f"127.0.0.1:{device.port}/update"
        old = device.image()
        # Wrong credentials: the device answers 401 with an empty body, so there is no page at all.
        driver.get(f"http://admin:wrong@{base}")
        expect(not driver.find_elements(By.ID, "upload"), "wrong credentials should not get the upload page")

        # Credentials that stop working before the upload: the XHR's 401 is reported as such. They
        # go in a header, not the URL, so that Chromium has none cached to retry with.
        driver.execute_cdp_cmd("Network.enable", {})
        set_authorization(driver, basic("admin", "secret"))
        driver.get(f"http://{base}")
        page.wait_shows(old)
        set_authorization(driver, basic("admin", "wrong"))
        with LoginPromptsCancelled(driver) as prompts:
            page.upload(make_image(otakit, folder, "v2.bin", "2.0.0", 200001, 7))
            state, text = page.wait_outcome(20)
        expect(prompts.cancelled >= 1, "the upload should have met a login prompt")
        expect(state == "error" and "wrong or missing credentials" in text, f"a 401 upload should say so: {text!r}")
        set_authorization(driver, None)

        # A file larger than the free space never leaves the browser.
        room = device.status_json(basic("admin", "secret"))["free_space"]
        too_large = os.path.join(folder, "too-large.bin")
        with open(too_large, "wb") as f:
            f.write(b"\xe9" + bytes(room))
        driver.get(f"http://admin:secret@{base}")
        page.wait_shows(old)
        page.driver.find_element(By.ID, "file").send_keys(too_large)
        page.wait(lambda: "larger than" in page.message(), 5, "a file larger than the free space should be refused")
        page.driver.find_element(By.ID, "upload").click()
        expect(page.state() == "error" and "larger than" in page.message(),
               f"submitting it should be refused too: {page.message()!r}")

        # A bad image: the Updater's error reaches the page and the old image runs on.
        bad = os.path.join(folder, "bad.bin")
        with open(make_image(otakit, folder, "good.bin", "3.0.0", 100001, 9), "rb") as f:
            data = bytearray(f.read())
        data[0] = 0x00
        with open(bad, "wb") as f:
            f.write(data)
        driver.get(f"http://admin:secret@{base}")
        page.wait_shows(old)
        page.upload(bad)
        state, text = page.wait_outcome(20)
        expect(state == "error" and "Magic byte is not 0xE9" in text, f"a bad image should show the error: {text!r}")
        expect(device.image()["md5"] == old["md5"], "the running image should be unchanged after a bad upload")
        expect(device.status_json(basic("admin", "secret"))["md5"] == old["md5"], "the device should say so too")
        page.wait_shows(old, 2)
        print(f"upload page with auth: 401 reported, oversized file refused, bad image refused: {text!r}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not os.access(binary, os.X_OK):
            print(f"skip: {binary} is missing (scripts/install-deps.sh installs it)")
            sys.exit(SKIP)
    otakit = os.path.abspath(sys.argv[1])
    folder = tempfile.mkdtemp(prefix="otakit-web-")
    driver = None
    try:
        driver = start_browser(folder)
        test_upload_and_reboot(otakit, folder, driver)
        test_credentials_and_bad_image(otakit, folder, driver)
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        sys.exit(1)
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(folder, ignore_errors=True)
    print("web browser: ok")


if __name__ == "__main__":
    main()
