"""Headless Chromium through Selenium for the browser tests: Debian's chromium, chromium-driver and
python3-selenium (scripts/install-deps.sh). Importing this exits 77 (skip) when Selenium is missing.
"""
import os
import sys

SKIP = 77
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
try:
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    import trio  # noqa: F401  python3-selenium depends on both
    import trio_websocket  # noqa: F401
except ImportError:
    print("skip: python3-selenium is missing (scripts/install-deps.sh installs it)")
    sys.exit(SKIP)

__all__ = ["SKIP", "CHROMIUM", "CHROMEDRIVER", "NoSuchElementException", "StaleElementReferenceException",
           "TimeoutException", "By", "Select", "WebDriverWait", "start_browser"]


def start_browser(folder, flags=(), capabilities=None):
    """A headless Chromium with its profile in folder; flags and capabilities are added."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--user-data-dir={os.path.join(folder, 'chromium-profile')}", *flags):
        options.add_argument(flag)
    for name, value in (capabilities or {}).items():
        options.set_capability(name, value)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(10)
    return driver
