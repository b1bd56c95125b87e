#!/usr/bin/python3
"""The fleet server's dashboard in a real browser: headless Chromium through Selenium against
`otakit server` (started by dashboard_browser.sh with four registered devices, two in group lab).

A wrong token gets the server's 401 text at the prompt; the right one shows the devices, filters
them by group and tag, opens a device's history and sets its tags. An image is uploaded through
the form (with a visible progress indication) and appears in the catalog; a file that is not an
image shows the server's refusal. A rollout made through the form shows one bar per stage; it is
paused and resumed with its buttons; devices checking in (as ESP8266httpUpdate does) move through
offered, updating, up to date and failed, and the rollout stops at its error threshold; a two-click
cancel ends it. A group target is set from a firmware row. At 375x740 the body does not overflow
sideways and the device table is stacked cards. Signing out forgets the token. Every wait is on a
condition in the page (WebDriverWait), with a deadline.

Usage: dashboard_browser.py --url URL --token T --folder DIR --image BIN --not-image FILE --old-md5 MD5
(exit 77 when Chromium, its driver or Selenium is missing). OTAKIT_DASHBOARD_SHOTS=DIR saves screenshots.
"""
import argparse
import hashlib
import http.client
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

from headless_chromium import (SKIP, CHROMIUM, CHROMEDRIVER, NoSuchElementException, StaleElementReferenceException,
                              TimeoutException, By, Select, WebDriverWait)
from headless_chromium import start_browser as headless_start

MACS = [f"18:FE:34:00:00:0{n}" for n in range(1, 5)]
WAIT = 15  # seconds for anything the page shows after a refresh (every 5 s) or an action


class Failure(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise Failure(what)


class Fleet:
    """The server seen from outside the browser: its admin API and its update endpoint."""

    def __init__(self, url, token):
        self.url = url
        self.token = token
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def api(self, method, path, body=None):
        """(status, parsed JSON or text) of one admin API request."""
        request = urllib.request.Request(self.url + path, method=method, data=body,
                                         headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                status, data = reply.status, reply.read()
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
        try:
            return status, json.loads(data)
        except ValueError:
            return status, data.decode(errors="replace")

    def check(self, mac, md5, version, chip_id):
        """One update check as ESP8266httpUpdate sends it; an offered image is read to its end."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request("GET", "/update", headers={
                "User-Agent": "ESP8266-http-Update", "Connection": "close",
                "x-ESP8266-Chip-ID": str(chip_id), "x-ESP8266-STA-MAC": mac, "x-ESP8266-AP-MAC": "1A:FE:34:00:00:01",
                "x-ESP8266-free-space": "1000000", "x-ESP8266-sketch-size": "300000", "x-ESP8266-sketch-md5": md5,
                "x-ESP8266-chip-size": "4194304", "x-ESP8266-sdk-version": "2.2.2-dev(38a443e)",
                "x-ESP8266-mode": "sketch", "x-ESP8266-version": version})
            reply = connection.getresponse()
            body = reply.read()
            return reply.status, body
        finally:
            connection.close()


def start_browser(folder):
    return headless_start(folder, flags=("--window-size=1280,1000",),
                          capabilities={"goog:loggingPrefs": {"browser": "ALL"}})


class Page:
    """The dashboard open in the browser, read and driven through its element ids."""

    def __init__(self, driver, shots):
        self.driver = driver
        self.shots = shots

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def choose(self, css, value):
        """Selects an option by value, again if a redraw replaced the options meanwhile."""
        def chosen():
            Select(self.find(css)).select_by_value(value)
            return self.read("return document.querySelector(arguments[0]).value", css) == value
        self.wait(chosen, f"{css} should offer {value!r}")

    def click(self, css, what=None):
        """Clicks what css finds, again if a redraw replaced it between finding and clicking."""
        def clicked():
            element = self.find(css)
            if not element.is_enabled():
                return False
            element.click()
            return True
        self.wait(clicked, what or f"{css} should be there to click")

    def text(self, element_id):
        return self.driver.find_element(By.ID, element_id).text

    def visible(self, element_id):
        found = self.driver.find_elements(By.ID, element_id)
        return bool(found) and found[0].is_displayed()

    def wait(self, condition, what, seconds=WAIT):
        try:
            return WebDriverWait(self.driver, seconds, poll_frequency=0.1,
                                 ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
                                 ).until(lambda d: condition())
        except TimeoutException:
            raise Failure(f"{what} within {seconds} s; the page's messages: {self.messages()!r}") from None

    def messages(self):
        shown = {}
        for element_id in ("login-message", "app-message", "fw-message", "rollout-form-message", "target-message",
                           "detail-message", "refreshed"):
            found = self.driver.find_elements(By.ID, element_id)
            if found and found[0].is_displayed():
                shown[element_id] = found[0].text
        return shown

    def shot(self, name, full=True):
        if not self.shots:
            return
        size = self.driver.get_window_size()
        if full:
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(size["width"], max(size["height"], height + 100))
        self.driver.save_screenshot(os.path.join(self.shots, name + ".png"))
        if full:
            self.driver.set_window_size(size["width"], size["height"])

    def sign_in(self, token):
        self.wait(lambda: self.visible("token-input"), "the token prompt should show")
        field = self.driver.find_element(By.ID, "token-input")
        field.clear()
        field.send_keys(token)
        self.driver.find_element(By.ID, "sign-in").click()

    # The page redraws a section when its data changes: reads go through one script each, so
    # that no element found in one call is gone (stale) in the next.
    def read(self, script, *args):
        return self.driver.execute_script(script, *args)

    def texts(self, css):
        return self.read("return [...document.querySelectorAll(arguments[0])].map(e => e.innerText.trim())", css)

    def first_text(self, css):
        found = self.texts(css)
        return found[0] if found else ""

    # --- devices
    def device_rows(self):
        return self.all("#devices tbody tr[data-mac]")

    def device_macs(self):
        return self.read("return [...document.querySelectorAll('#devices tbody tr[data-mac]')].map(r => r.dataset.mac)")

    def device_cell(self, mac, column):
        return self.first_text(f'#devices tbody tr[data-mac="{mac}"] td[data-label="{column}"]')

    def device_state(self, mac):
        return self.first_text(f'#devices tbody tr[data-mac="{mac}"] .badge')

    def wait_device_state(self, mac, label):
        self.wait(lambda: self.device_state(mac) == label, f"device {mac} should show the state {label!r} "
                  f"(it shows {self.device_state(mac)!r})")

    # --- rollouts
    def rollout_text(self, rollout_id, css=""):
        return self.first_text(f'#rollouts article[data-id="{rollout_id}"] {css}')

    def rollout_state(self, rollout_id):
        return self.read("const a = document.querySelector(arguments[0]); return a ? a.dataset.state : ''",
                         f'#rollouts article[data-id="{rollout_id}"]')

    def click_rollout(self, rollout_id, action):
        """Clicks a rollout's button once it is there and enabled (not while a command is sent)."""
        self.click(f'#rollouts button[data-rollout="{rollout_id}"][data-action="{action}"]',
                   f"rollout {rollout_id} should have an enabled {action} button")

    def rollout_actions(self, rollout_id):
        return self.read("return [...document.querySelectorAll(arguments[0])].map(b => b.dataset.action)",
                         f'#rollouts button[data-rollout="{rollout_id}"]')

    def stage_numbers(self, rollout_id, index):
        return self.rollout_text(rollout_id, f'li[data-stage="{index}"] .stage-numbers')


def test_sign_in(page, fleet):
    driver = page.driver
    driver.get(fleet.url + "/")
    page.sign_in("otk_not-a-token-of-this-server")
    page.wait(lambda: page.visible("login-message") and "not known to this server" in page.text("login-message"),
              "a wrong token should bring back the prompt with the server's 401 text")
    expect(not page.visible("app"), "the fleet should not show with a wrong token")
    expect(driver.execute_script("return localStorage.length") == 0, "a refused token should not be kept")
    print(f"dashboard: a wrong token is refused: {page.text('login-message')!r}")

    page.sign_in(fleet.token)
    page.wait(lambda: sorted(page.device_macs()) == MACS, f"the four devices should be listed (got {page.device_macs()})")
    expect(not page.visible("login"), "the prompt should be gone once signed in")
    page.wait(lambda: re.fullmatch(r"Updated \d+ s ago", page.text("refreshed")),
              "the header should say when the page was last updated")
    page.wait(lambda: all(page.device_state(mac) == "no target" for mac in MACS),
              "every device should show 'no target' (nothing is targeted yet)")
    expect(page.device_cell(MACS[0], "Group") == "lab" and page.device_cell(MACS[3], "Group") == "—",
           "the group column should show lab for device 1 and nothing for device 4")
    expect(page.device_cell(MACS[2], "Running version") == "1.0.0", "the running version should show")
    expect(re.search(r"(just now|\d+ s ago)", page.device_cell(MACS[0], "Last seen")),
           f"last seen should be a relative time: {page.device_cell(MACS[0], 'Last seen')!r}")
    # The refresh is automatic: the "updated" age goes back to a few seconds without a reload.
    driver.execute_script("window.notReloaded = true")
    def age():
        found = re.fullmatch(r"Updated (\d+) s ago", page.text("refreshed"))
        return int(found.group(1)) if found else -1
    page.wait(lambda: age() >= 2, "the age of the data should grow")
    page.wait(lambda: 0 <= age() <= 1, "the page should refresh itself")
    expect(driver.execute_script("return window.notReloaded === true"), "the refresh should not reload the page")
    print(f"dashboard: signed in, {len(MACS)} devices, {page.text('refreshed')!r}")


def test_devices(page, fleet):
    driver = page.driver
    page.choose("#filter-group", "lab")
    page.wait(lambda: sorted(page.device_macs()) == MACS[:2], "the group filter should leave the two lab devices")

    # One device's history, and tags set from its detail panel.
    page.click(f'#devices tbody tr[data-mac="{MACS[1]}"] button.mac')
    page.wait(lambda: page.visible("device-detail") and MACS[1] in page.text("detail-title"),
              "clicking a device should open its detail")
    page.wait(lambda: page.all("#history tbody tr td[data-label='Event']"), "the device's history should be listed")
    events = page.texts("#history tbody td[data-label='Event']")
    expect("check" in events and "group" in events, f"its history should have its check and its group: {events}")
    tags = driver.find_element(By.ID, "detail-tags")
    tags.clear()
    tags.send_keys("door, hall")
    page.click("#detail-group-form button[type=submit]")
    page.wait(lambda: "Saved" in page.text("detail-message"), "the tags should be saved")
    page.wait(lambda: page.device_cell(MACS[1], "Tags").split() == ["door", "hall"], "the tags should show in the table")

    page.choose("#filter-group", "")
    field = driver.find_element(By.ID, "filter-tag")
    field.send_keys("door")
    page.click("#device-filter button[type=submit]")
    page.wait(lambda: page.device_macs() == [MACS[1]], "the tag filter should leave the tagged device")
    page.click("#filter-clear")
    page.wait(lambda: sorted(page.device_macs()) == MACS, "clearing the filter should list every device")
    page.click("#detail-close")
    expect(not page.visible("device-detail"), "the detail should close")
    print(f"dashboard: filters by group and tag, a device's history ({len(events)} events), tags set")


def test_firmware(page, fleet, image, not_image):
    driver = page.driver
    page.driver.find_element(By.CSS_SELECTOR, "a[href='#firmware-section']").click()
    # Loopback is too fast to see the upload: about three seconds of it at 100 kB/s.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 100_000})
    driver.execute_script(
        "const box = document.getElementById('fw-progress-box'); window.progressTexts = [];"
        "new MutationObserver(() => { if (!box.hidden) window.progressTexts.push("
        "document.getElementById('fw-progress-text').textContent); }).observe(box, {attributes: true});")
    driver.find_element(By.ID, "fw-file").send_keys(image)
    driver.find_element(By.ID, "fw-upload").click()
    page.wait(lambda: driver.find_element(By.ID, "fw-message").get_attribute("data-kind") in ("ok", "error"),
              "the upload should end", 30)
    driver.execute_cdp_cmd("Network.disable", {})
    expect(page.find("#fw-message").get_attribute("data-kind") == "ok",
           f"the upload should succeed: {page.text('fw-message')!r}")
    seen = driver.execute_script("return window.progressTexts")
    expect(any("Uploading app-2.0.0.bin" in t for t in seen), f"a progress indication should show: {seen}")
    md5 = hashlib.md5(open(image, "rb").read()).hexdigest()
    rows = lambda: page.read("return [...document.querySelectorAll('#firmware tbody tr[data-firmware]')].map(r => "
                             "Object.assign({id: r.dataset.firmware}, ...[...r.cells].map(c => "
                             "({[c.dataset.label]: c.innerText.trim()}))))")
    page.wait(lambda: any(r["MD5"] == md5[:8] for r in rows()), "the uploaded image should be in the catalog")
    cells = next(r for r in rows() if r["MD5"] == md5[:8])
    expect(cells["Name"] == "app-2.0.0.bin" and cells["Version"] == "2.0.0" and cells["Signed"] == "no"
           and cells["Security version"] == "0" and cells["Size"] == "302.7 KiB" and cells["MD5"] == md5[:8],
           f"the catalog row should describe the image: {cells}")
    firmware_id = int(cells["id"])
    print(f"dashboard: uploaded {cells['Name']} {cells['Version']} as #{firmware_id} (progress shown: {seen[0]!r})")

    # A file that is not an image: the page shows what the server says when it refuses it.
    with open(not_image, "rb") as f:
        status, said = fleet.api("POST", "/api/firmware?name=notes.txt", f.read())
    expect(status == 422 and "error" in said, f"the server should refuse a non-image with 422: {status} {said}")
    driver.find_element(By.ID, "fw-file").send_keys(not_image)
    driver.find_element(By.ID, "fw-upload").click()
    page.wait(lambda: page.find("#fw-message").get_attribute("data-kind") == "error",
              "uploading a non-image should be refused in the page")
    expect(said["error"] in page.text("fw-message"),
           f"the page should show the server's text {said['error']!r}: {page.text('fw-message')!r}")
    expect(len(page.all("#firmware tbody tr[data-firmware]")) == 1, "the refused file should not be in the catalog")
    print(f"dashboard: a non-image is refused: {page.text('fw-message')!r}")
    return firmware_id, md5


def test_rollout(page, fleet, firmware_id, new_md5, old_md5):
    driver = page.driver
    page.click("#new-rollout summary")
    page.choose("#ro-firmware", str(firmware_id))
    stages = driver.find_element(By.ID, "ro-stages")
    stages.clear()
    stages.send_keys("50%,100%")
    driver.find_element(By.ID, "ro-name").send_keys("to 2.0.0")
    driver.find_element(By.ID, "ro-create").click()
    page.wait(lambda: "Created rollout #1" in page.text("rollout-form-message"), "the rollout should be created")
    page.wait(lambda: page.rollout_state(1) == "running", "the rollout should show as running")
    bars = len(page.texts('#rollouts article[data-id="1"] li.stage .bar'))
    expect(bars == 2, f"the rollout should have two stage bars, it has {bars}")
    expect(page.rollout_text(1, "h3") == "#1 to 2.0.0" and page.rollout_text(1, ".filter") == "every device",
           f"the card should name the rollout and its devices: {page.rollout_text(1)!r}")
    for stage in (0, 1):
        numbers = page.stage_numbers(1, stage)
        expect(numbers == "0 updated · 0 failed · 0 in progress · of 2 targets", f"stage {stage + 1}: {numbers!r}")
    expect(page.rollout_actions(1) == ["pause", "cancel", "rollback"],
           f"a running rollout offers pause, cancel, rollback: {page.rollout_actions(1)}")
    page.shot("dashboard-rollout-created")

    page.click_rollout(1, "pause")
    page.wait(lambda: page.rollout_state(1) == "paused", "pause should pause the rollout")
    expect(page.rollout_actions(1) == ["resume", "cancel", "rollback"], f"paused: {page.rollout_actions(1)}")
    page.wait(lambda: page.rollout_text(1, "p.message") == "Paused.", "the card should say it was paused")
    page.click_rollout(1, "resume")
    page.wait(lambda: page.rollout_state(1) == "running", "resume should run the rollout again")
    print("dashboard: rollout #1 created with two stage bars, paused and resumed")

    # The devices check in: the first stage's two are offered the image and download it.
    answers = {mac: fleet.check(mac, old_md5, "1.0.0", 2000 + i)[0] for i, mac in enumerate(MACS)}
    offered = [mac for mac in MACS if answers[mac] == 200]
    waiting = [mac for mac in MACS if answers[mac] == 304]
    expect(len(offered) == 2 and len(waiting) == 2, f"two devices should be offered the image: {answers}")
    for mac in offered:
        page.wait_device_state(mac, "updating")
    for mac in waiting:
        page.wait_device_state(mac, "no target")
    page.wait(lambda: page.stage_numbers(1, 0) == "0 updated · 0 failed · 2 in progress · of 2 targets",
              f"stage 1 should have two in progress: {page.stage_numbers(1, 0)!r}")
    # One comes back running the new image, the other with its old one: that one failed, and one
    # failure of two crosses the default error threshold (20%): the rollout stops.
    fleet.check(offered[0], new_md5, "2.0.0", 3000)
    page.wait_device_state(offered[0], "up to date")
    page.wait(lambda: page.stage_numbers(1, 0) == "1 updated · 0 failed · 1 in progress · of 2 targets",
              f"stage 1 should have one updated: {page.stage_numbers(1, 0)!r}")
    page.shot("dashboard-rollout-progress")
    fleet.check(offered[1], old_md5, "1.0.0", 3001)
    page.wait_device_state(offered[1], "failed")
    page.wait(lambda: page.rollout_state(1) == "stopped", "the failure should stop the rollout")
    expect(page.stage_numbers(1, 0) == "1 updated · 0 failed · 0 in progress · of 2 targets" or
           page.stage_numbers(1, 0) == "1 updated · 1 failed · 0 in progress · of 2 targets",
           f"stage 1's numbers: {page.stage_numbers(1, 0)!r}")
    page.wait(lambda: page.stage_numbers(1, 0) == "1 updated · 1 failed · 0 in progress · of 2 targets",
              f"stage 1 should count the failure: {page.stage_numbers(1, 0)!r}")
    expect(page.rollout_actions(1) == ["cancel", "rollback"], f"stopped: {page.rollout_actions(1)}")
    segments = len(page.texts("#rollouts article[data-id='1'] li[data-stage='0'] .bar .seg"))
    expect(segments == 2, f"stage 1's bar should show an updated and a failed part, it has {segments}")
    page.shot("dashboard-rollout-stopped")
    print(f"dashboard: devices offered, updating, up to date ({offered[0]}) and failed ({offered[1]}); "
          "the rollout stopped at its error threshold")

    # Cancel takes two clicks.
    page.click_rollout(1, "cancel")
    confirm = '#rollouts button[data-rollout="1"][data-action="cancel"]'
    page.wait(lambda: page.first_text(confirm) == "Confirm: cancel", "cancel should ask to confirm")
    expect(page.rollout_state(1) == "stopped", "one click should not cancel")
    page.click_rollout(1, "cancel")
    page.wait(lambda: page.rollout_state(1) == "canceled", "the second click should cancel the rollout")
    expect(page.rollout_actions(1) == ["rollback"], f"canceled: {page.rollout_actions(1)}")
    print("dashboard: a two-click cancel ended the rollout")


def test_target(page, fleet, firmware_id):
    page.choose(f"#target-scope-{firmware_id}", "group:lab")
    css = f'#firmware tr[data-firmware="{firmware_id}"] button.set-target'
    page.click(css)
    page.wait(lambda: page.first_text(css) == "Confirm: offer to group lab", "setting a target should ask to confirm")
    page.click(css)
    listed = '#targets tbody tr[data-scope="group:lab"] td[data-label="Firmware"]'
    page.wait(lambda: page.first_text(listed) == "app-2.0.0.bin 2.0.0", "the group's target should be listed")
    page.wait(lambda: "target of group lab" in page.first_text(f'#firmware tr[data-firmware="{firmware_id}"]'),
              "the firmware row should say whose target it is")
    status, targets = fleet.api("GET", "/api/targets")
    expect(targets["targets"] == [{"scope": "group:lab", "firmware_id": firmware_id,
                                   "set_at": targets["targets"][0]["set_at"]}], f"the server's targets: {targets}")
    print("dashboard: the lab group's target set from the firmware row")


def test_phone(page, fleet):
    driver = page.driver
    driver.set_window_size(375, 740)
    driver.get(fleet.url + "/")
    # The token is remembered: no prompt after a reload.
    page.wait(lambda: sorted(page.device_macs()) == MACS, "the devices should show after a reload, without the prompt")
    page.wait(lambda: not page.all("#devices .state-reading"), "the device states should be read")
    width = driver.execute_script("return window.innerWidth")
    expect(width <= 400, f"the window should be phone-sized: innerWidth {width}")
    page.wait(lambda: driver.execute_script("return document.body.scrollWidth <= window.innerWidth"),
              "the body should not overflow sideways: scrollWidth "
              f"{driver.execute_script('return document.body.scrollWidth')} > {width}")
    display = driver.execute_script(
        "return getComputedStyle(document.querySelector('#devices tbody td')).display")
    expect(display != "table-cell", f"the device table should be stacked cards on a phone (cells are {display})")
    cards = page.read("""return [...document.querySelectorAll('#devices tbody tr[data-mac]')].map(r => {
        const card = r.getBoundingClientRect(), mac = r.querySelector('button.mac').getBoundingClientRect();
        return {mac: r.dataset.mac, text: r.querySelector('button.mac').innerText, left: card.left,
                right: card.right, macRight: mac.right, macHeight: mac.height}; })""")
    expect(len(cards) == len(MACS), f"every device should be a card: {cards}")
    for card in cards:
        expect(card["left"] >= 0 and card["right"] <= width and card["macRight"] <= width,
               f"a device card should fit the screen: {card}")
        expect(card["text"] == card["mac"], f"the MAC should be readable: {card}")
        expect(card["macHeight"] >= 44, f"the MAC button should be touch-sized: {card}")
    heights = page.read("return [...document.querySelectorAll('#rollouts button')].map(b => b.getBoundingClientRect().height)")
    expect(heights and min(heights) >= 44, f"rollout buttons should be touch-sized: {heights}")
    page.shot("dashboard-phone")
    print(f"dashboard: at 375x740 the body fits ({driver.execute_script('return document.body.scrollWidth')} <= {width}) "
          "and the devices are stacked cards")
    driver.set_window_size(1280, 1000)


def test_sign_out(page, fleet):
    page.click("#sign-out")
    page.wait(lambda: page.visible("token-input"), "signing out should bring back the prompt")
    expect(page.driver.execute_script("return localStorage.length") == 0, "signing out should forget the token")
    expect(not page.device_rows(), "no device should stay on the page after signing out")
    page.driver.get(fleet.url + "/")
    page.wait(lambda: page.visible("token-input"), "after a reload the prompt should still be asked")
    print("dashboard: sign out forgets the token")


def console_problems(driver):
    """What the browser's console said against the page's CSP or its script (401s are expected)."""
    problems = []
    for entry in driver.get_log("browser"):
        message = entry.get("message", "")
        if "Content Security Policy" in message or "Uncaught" in message or "TypeError" in message:
            problems.append(message)
    return problems


def main():
    parser = argparse.ArgumentParser()
    for name in ("--url", "--token", "--folder", "--image", "--not-image", "--old-md5"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not os.access(binary, os.X_OK):
            print(f"skip: {binary} is missing (scripts/install-deps.sh installs it)")
            sys.exit(SKIP)
    shots = os.environ.get("OTAKIT_DASHBOARD_SHOTS", "")
    if shots:
        os.makedirs(shots, exist_ok=True)
    fleet = Fleet(args.url, args.token)
    driver = None
    try:
        driver = start_browser(args.folder)
        page = Page(driver, shots)
        test_sign_in(page, fleet)
        page.shot("dashboard-devices")
        test_devices(page, fleet)
        firmware_id, new_md5 = test_firmware(page, fleet, os.path.abspath(args.image), os.path.abspath(args.not_image))
        test_rollout(page, fleet, firmware_id, new_md5, args.old_md5)
        test_target(page, fleet, firmware_id)
        page.shot("dashboard-desktop")
        test_phone(page, fleet)
        test_sign_out(page, fleet)
        problems = console_problems(driver)
        expect(not problems, f"the console reported problems: {problems}")
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        if driver is not None and shots:
            driver.save_screenshot(os.path.join(shots, "dashboard-failure.png"))
        sys.exit(1)
    finally:
        if driver is not None:
            driver.quit()
    print("dashboard browser: ok")


if __name__ == "__main__":
    main()
