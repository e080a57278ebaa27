"""Drives the iiot dashboard in headless Chromium through WebDriver.

Usage: dashboard.py URL SCREENSHOT
Prints one JSON object: what the page showed after its script ran, and
after new data arrived. Exits 1 (with the reason) when a check times out.
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

url, shot = sys.argv[1], sys.argv[2]
opts = webdriver.ChromeOptions()
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--window-size=1400,1100"]:
    opts.add_argument(a)
opts.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
out = {}


def wait(what, check, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = check()
        if v:
            return v
        time.sleep(0.25)
    out["failed"] = what
    out["status"] = driver.find_element("id", "status").text
    print(json.dumps(out))
    driver.save_screenshot(shot)
    driver.quit()
    sys.exit(1)


def js(expr):
    return driver.execute_script("return " + expr)


try:
    driver.get(url)
    # After the script ran: charts drawn with points.
    wait("first update", lambda: int(js("document.body.dataset.polls || 0")) >= 1, 30)
    wait("charts with points", lambda: int(js("document.body.dataset.points || 0")) > 0, 30)
    out["charts"] = len(driver.find_elements("css selector", "svg.chart"))
    out["points_first"] = int(js("document.body.dataset.points"))
    out["per_chart_first"] = js("[...document.querySelectorAll('svg.chart')].map(s => +s.dataset.points)")
    out["limit_lines"] = len(driver.find_elements("css selector", "svg line.limit"))
    # After new data arrived: more points, an anomaly marker, an alarm listed.
    wait("points grew", lambda: int(js("document.body.dataset.points")) > out["points_first"], 40)
    out["points_later"] = int(js("document.body.dataset.points"))
    out["per_chart_later"] = js("[...document.querySelectorAll('svg.chart')].map(s => +s.dataset.points)")
    wait("an anomaly marker", lambda: len(driver.find_elements("css selector", "svg circle.anomaly")) > 0, 90)
    out["anomaly_markers"] = len(driver.find_elements("css selector", "svg circle.anomaly"))
    out["anomaly_title"] = js("document.querySelector('svg circle.anomaly title').textContent")
    wait("an alarm listed", lambda: len(driver.find_elements("css selector", "#active li.active-alarm")) > 0, 90)
    out["alarms_listed"] = [li.text for li in driver.find_elements("css selector", "#active li.active-alarm")]
    out["current_rows"] = len(driver.find_elements("css selector", "#current tbody tr"))
    out["status"] = driver.find_element("id", "status").text
    out["errors"] = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    time.sleep(2.5)  # one more update, so the screenshot shows the latest alarm spans
    driver.save_screenshot(shot)
    print(json.dumps(out))
finally:
    driver.quit()
