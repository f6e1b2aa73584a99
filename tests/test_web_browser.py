"""The clinic's pages in a real browser: Debian's Chromium driven by chromedriver through Selenium.

The server is the real one (waitress on a free loopback port, in a thread) on a SQLite store.
A nurse signs in, makes a standard plan and downloads its PDF in at most 8 interactions
(counted: each click and each field typed into), sees the preview, downloads the .ics and
finds it equal to ``dosecal generate --feed`` of the stored plan, records a delay and sees the
feed move, sees a wrong date beside its field, and signs out. The same creation is done with
the keyboard alone, and axe-core checks every page for serious or critical violations.

Nothing is downloaded at test time: chromedriver and Chromium are Debian's, given by path, and
Selenium Manager is told to stay offline. Set ``DOSECAL_WEB_SCREENSHOTS=1`` to write the pages'
pictures into examples/pictures/web-*.png (1280x900).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dosecal.cli import main

pytestmark = pytest.mark.chromium

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "interop" / "node_modules" / "axe-core" / "axe.min.js"
PICTURES = ROOT / "examples" / "pictures"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PASSWORD = "correct horse battery"
LABEL = "Bed 12 (J. Roe)"

#: The most clicks and typed fields from the plans list to a standard plan's PDF (issue 14).
MOST_INTERACTIONS = 8

Run = Callable[..., Result]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Run]]:
    """``dosecal serve`` in its own process on a free loopback port; its URL and the CLI on its store.

    The port is chosen first, so that the public URL (the feed links on the page) is the
    server's own. After the test, its log must hold neither the label nor a feed token.
    """
    if os.environ.get("DOSECAL_REQUIRE_ALL") is None and not Path(CHROMEDRIVER).exists():
        pytest.skip("chromedriver is not installed (apt-get install chromium-driver)")
    database = str(tmp_path / "dosecal.db")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"

    def run(*args: str, input: str | None = None) -> Result:
        env = {"DOSECAL_DB": database, "DOSECAL_PUBLIC_URL": base}
        return CliRunner().invoke(main, list(args), env=env, input=input)

    assert run("db", "upgrade").exit_code == 0
    assert run("users", "add", "mtremblay", input=PASSWORD + "\n").exit_code == 0
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dosecal", "serve", "--db", database, "--port", str(port),
             "--public-url", base, "--default-tz", "America/Toronto"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dosecal serve did not start:\n{log.read_text(encoding='utf-8')}")
            time.sleep(0.1)  # polling for readiness, not waiting for a guess
        yield base, run
    finally:
        process.terminate()
        process.wait(30)
    text = log.read_text(encoding="utf-8")
    assert "J. Roe" not in text and "Bed 12" not in text
    assert not re.search(r"/feeds/[\w-]{20,}", text), "a feed token reached the log"


def _gone(element: Any) -> bool:
    """Whether ``element`` no longer belongs to the page shown (Selenium's staleness, widened)."""
    from selenium.common.exceptions import WebDriverException

    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException, or the inspector's own words
        return True
    return False


class Nurse:
    """A browser, with every click and typed field counted."""

    def __init__(self, driver: Any, base: str, downloads: Path) -> None:
        self.driver = driver
        self.base = base
        self.downloads = downloads
        self.interactions = 0

    def go(self, path: str) -> None:
        """Open a page by its address (not counted: the test's own set-up)."""
        self.driver.get(self.base + path)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def click(self, css: str, *, navigates: bool = True) -> None:
        """Click; when the click opens a page, wait until the new one has replaced the old."""
        from selenium.webdriver.support.wait import WebDriverWait

        self.interactions += 1
        page = self.find("html")
        self.find(css).click()
        if navigates:
            # While the old page goes, Chromium may answer a question about its element with
            # "Node with given id does not belong to the document" rather than "stale": both
            # mean the page was replaced.
            WebDriverWait(self.driver, 60, ignored_exceptions=()).until(lambda _driver: _gone(page))
            WebDriverWait(self.driver, 60).until(
                lambda d: d.execute_script("return document.readyState") == "complete"
            )

    def type(self, css: str, text: str) -> None:
        self.interactions += 1
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def sign_in(self) -> None:
        self.go("/signin")
        self.type("#name", "mtremblay")
        self.type("#password", PASSWORD)
        self.click("button[type=submit]")
        assert self.driver.current_url.endswith("/plans"), self.driver.page_source[-1500:]

    def downloaded(self, suffix: str, timeout: float = 60) -> Path:
        """The file with ``suffix`` that the browser finished downloading."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [p for p in self.downloads.iterdir() if p.suffix == suffix]
            if done:
                return done[0]
            time.sleep(0.1)
        raise AssertionError(f"no {suffix} downloaded: {list(self.downloads.iterdir())}")

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page shown."""
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations)));"
        )
        found: list[dict[str, Any]] = json.loads(result)
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in found
            if v["impact"] in ("serious", "critical")
        ]

    def picture(self, name: str) -> None:
        """Save the page as examples/pictures/web-NAME.png when asked to."""
        if os.environ.get("DOSECAL_WEB_SCREENSHOTS"):
            self.driver.save_screenshot(str(PICTURES / f"web-{name}.png"))


@pytest.fixture
def nurse(site: tuple[str, Run], tmp_path: Path) -> Iterator[Nurse]:
    """Headless Chromium at 1280x900, downloads into a folder of this test's own."""
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never fetch a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                 "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=en-US",
                 f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "plugins.always_open_pdf_externally": True,
            "intl.accept_languages": "en-US,en",
        },
    )
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield Nurse(driver, site[0], downloads)
    finally:
        driver.quit()


def plan_id_of(url: str) -> str:
    found = re.search(r"/plans/(\w+)(?:\?saved=\d+)?$", url)  # after Confirm: "Saved as version N"
    assert found, url
    return found.group(1)


def test_a_standard_plan_goes_from_the_list_to_a_pdf_in_at_most_8_interactions(
    nurse: Nurse, site: tuple[str, Run], tmp_path: Path
) -> None:
    nurse.sign_in()
    nurse.interactions = 0  # from the plans list on
    nurse.click("#new-plan")
    nurse.click("#pick-blinatumomab-mrd")
    nurse.type("#start", "2027-01-04")
    nurse.click("#create")
    nurse.click("#download-pdf", navigates=False)
    pdf = nurse.downloaded(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    print(f"interactions from the plans list to the PDF: {nurse.interactions}")
    assert nurse.interactions <= MOST_INTERACTIONS
    assert nurse.interactions == 5


def test_a_nurse_creates_previews_downloads_adjusts_and_signs_out(
    nurse: Nurse, site: tuple[str, Run], tmp_path: Path
) -> None:
    base, dosecal = site
    nurse.sign_in()
    # A wrong date is shown beside its field, in the command line's words.
    nurse.click("#new-plan")
    nurse.click("#pick-blinatumomab-mrd")
    nurse.type("#start", "2027-02-30")
    nurse.type("#label", LABEL)
    nurse.click("#create")
    error = nurse.find("#start-error")
    assert error.text == "'2027-02-30' is not a date written YYYY-MM-DD (e.g. 2027-01-04)"
    beside = nurse.driver.execute_script(
        "return document.getElementById('start-error').parentElement.contains(document.getElementById('start'))"
    )
    assert beside
    assert nurse.find("#start").get_attribute("aria-invalid") == "true"
    cli = CliRunner().invoke(main, ["generate", "blinatumomab-mrd", "--start", "2027-02-30", "--tz", "UTC"])
    assert error.text in cli.output
    # Corrected, the plan is made; its page shows the preview.
    nurse.type("#start", "2027-01-04")
    nurse.click("#create")
    plan_id = plan_id_of(nurse.driver.current_url)
    assert LABEL in nurse.find("h1").text
    nurse.driver.switch_to.frame(nurse.find("#preview"))
    assert "Blinatumomab" in nurse.driver.find_element("tag name", "body").text
    nurse.driver.switch_to.default_content()
    # The .ics downloaded is what dosecal generate --feed gives for the stored plan.
    nurse.click("#download-ics", navigates=False)
    ics = nurse.downloaded(".ics").read_bytes()
    plan, definition, out = tmp_path / "plan.toml", tmp_path / "definition.toml", tmp_path / "g.ics"
    assert dosecal("store", "export", plan_id, "-o", str(plan)).exit_code == 0
    assert dosecal("store", "export", plan_id, "--definition", "-o", str(definition)).exit_code == 0
    made = CliRunner().invoke(
        main, ["generate", str(definition), "--plan", str(plan), "--feed", "-o", str(out)]
    )
    assert made.exit_code == 0, made.output
    assert ics == out.read_bytes()
    # The feed link on the page answers; a delay moves it.
    feed_url = nurse.find("#feed-url").get_attribute("value")
    assert feed_url.startswith(base + "/feeds/")
    before = urllib.request.urlopen(feed_url, timeout=30).read()
    assert b"DTSTART;TZID=America/Toronto:20270215" in before  # cycle 2 day 1: Mon 15 Feb 2027
    nurse.click("#adjust")
    nurse.type("#delay_cycle", "2")
    nurse.type("#delay_days", "7")
    nurse.type("#note", "low counts")
    nurse.click("#check")
    assert "Cycle 2 and everything after it delayed by 7 days" in nurse.find(".confirm").text
    assert "Mon 15 Feb 2027" in nurse.find(".confirm").text
    nurse.click("#confirm")
    assert plan_id_of(nurse.driver.current_url) == plan_id
    after = urllib.request.urlopen(feed_url, timeout=30).read()
    assert b"DTSTART;TZID=America/Toronto:20270222" in after and after != before
    assert LABEL.encode() not in after
    history = nurse.find(".history").text
    assert "mtremblay" in history and "low counts" in history
    # Signing out ends it: the plans list asks to sign in again.
    nurse.click("button.link")
    assert "/signin" in nurse.driver.current_url
    nurse.go("/plans")
    assert "/signin" in nurse.driver.current_url
    assert LABEL not in nurse.driver.page_source


def test_an_inotuzumab_plan_made_before_the_response_follows_the_decision_on_the_same_feed(
    nurse: Nurse, site: tuple[str, Run]
) -> None:
    """Issue 21: cycle 1 planned without the response; CR, no transplant and 4 cycles recorded later.

    The patient subscribed once: the link shown after the change is the one shown before, and
    what it serves now holds cycles 2 to 4.
    """
    from selenium.webdriver.support.ui import Select

    base, dosecal = site
    nurse.sign_in()
    nurse.go("/plans/new?schedule=inotuzumab")
    nurse.type("#start", "2027-01-04")
    nurse.type("#label", LABEL)
    nurse.click("#create")
    plan_id = plan_id_of(nurse.driver.current_url)
    nurse.driver.switch_to.frame(nurse.find("#preview"))
    printable = nurse.driver.find_element("tag name", "body").text
    nurse.driver.switch_to.default_content()
    assert "Your care team decides: response after cycle 1" in printable
    assert not re.search(r"\d{4} C2D\d", printable)  # no row of cycle 2 (the key's example may say C2D1)
    feed_url = nurse.find("#feed-url").get_attribute("value")
    assert feed_url.startswith(base + "/feeds/")
    before = urllib.request.urlopen(feed_url, timeout=30).read()
    assert _cycles_started(before) == {1}
    # Later: the response is known; the nurse records it on the adjust page.
    nurse.click("#adjust")
    Select(nurse.find("#choice\\.response")).select_by_value("cr")
    Select(nurse.find("#choice\\.transplant")).select_by_value("no")
    nurse.interactions += 2
    nurse.type("#cycles", "4")
    nurse.type("#note", "CR after cycle 1")
    nurse.click("#check")
    summary = nurse.find(".summary").text
    assert "Cycles 2 to 4 added: Mon 25 Jan 2027 to Tue 6 Apr 2027" in summary
    nurse.click("#confirm-bottom")  # the Confirm below the details, as after reading them
    assert nurse.driver.current_url.endswith(f"/plans/{plan_id}?saved=2")
    assert nurse.find("#saved").text == "Saved as version 2."
    assert "Adjusted (version 2)" in nurse.find(".history").text
    nurse.driver.switch_to.frame(nurse.find("#preview"))
    printable = nurse.driver.find_element("tag name", "body").text
    nurse.driver.switch_to.default_content()
    assert all(f"C{n}D1" in printable for n in (2, 3, 4)) and "C5D1" not in printable
    # The same link, and what it serves now has cycles 2 to 4.
    assert nurse.find("#feed-url").get_attribute("value") == feed_url
    after = urllib.request.urlopen(feed_url, timeout=30).read()
    assert _cycles_started(after) == {1, 2, 3, 4}
    assert LABEL.encode() not in after
    shown = dosecal("store", "show", plan_id).output
    assert "version 2  adjust by mtremblay" in shown


def _cycles_started(calendar: bytes) -> set[int]:
    """The cycles whose day 1 a served calendar names (C2D1), wherever its events write the label.

    Lines are unfolded first: a label may be cut by the 75-octet folding of iCalendar.
    """
    unfolded = calendar.replace(b"\r\n ", b"")
    label = rb"(?:(?<=\\n)|(?<![\w-]))C(\d+)D1(?!\d)"  # also right after an escaped line break
    return {int(n) for n in re.findall(label, unfolded)}


def _tab_to(nurse: Nurse, element_id: str, most: int = 60) -> None:
    """Press Tab until the element ``element_id`` has the focus (each press counted as a key)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for _ in range(most):
        if (
            nurse.driver.execute_script("return document.activeElement && document.activeElement.id")
            == element_id
        ):
            return
        ActionChains(nurse.driver).send_keys(Keys.TAB).perform()
    raise AssertionError(f"Tab never reached #{element_id}")


def _wait_url(nurse: Nurse, pattern: str) -> None:
    """Wait until the browser shows a page whose address matches ``pattern``."""
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(nurse.driver, 60).until(
        lambda d: (
            re.search(pattern, d.current_url) and d.execute_script("return document.readyState") == "complete"
        )
    )


def test_a_plan_is_made_adjusted_and_printed_with_the_keyboard_alone(nurse: Nurse) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.wait import WebDriverWait

    nurse.go("/signin")
    keys = ActionChains(nurse.driver)
    _tab_to(nurse, "name")
    keys.send_keys("mtremblay").perform()
    _tab_to(nurse, "password")
    ActionChains(nurse.driver).send_keys(PASSWORD + Keys.ENTER).perform()
    _wait_url(nurse, r"/plans$")
    _tab_to(nurse, "new-plan")
    ActionChains(nurse.driver).send_keys(Keys.ENTER).perform()
    _wait_url(nurse, r"/plans/new$")
    _tab_to(nurse, "pick-dasatinib")
    ActionChains(nurse.driver).send_keys(Keys.ENTER).perform()
    _wait_url(nurse, r"schedule=dasatinib$")
    _tab_to(nurse, "start")
    ActionChains(nurse.driver).send_keys("2027-01-04").perform()
    _tab_to(nurse, "create")
    ActionChains(nurse.driver).send_keys(Keys.ENTER).perform()
    _wait_url(nurse, r"/plans/\w{12}$")
    plan_url = nurse.driver.current_url
    # Adjust, confirm and download with the keyboard too.
    _tab_to(nurse, "adjust")
    ActionChains(nurse.driver).send_keys(Keys.ENTER).perform()
    _wait_url(nurse, r"/adjust$")
    _tab_to(nurse, "stop")
    ActionChains(nurse.driver).send_keys("2027-02-01").perform()
    _tab_to(nurse, "check")
    ActionChains(nurse.driver).send_keys(Keys.ENTER).perform()
    WebDriverWait(nurse.driver, 60).until(lambda d: d.find_elements(By.ID, "confirm"))
    _tab_to(nurse, "confirm")
    assert "2027" in nurse.find(".confirm").text
    ActionChains(nurse.driver).send_keys(Keys.ENTER).perform()
    _wait_url(nurse, re.escape(plan_url) + r"\?saved=2$")
    assert nurse.find("#saved").text == "Saved as version 2."
    assert "Adjusted (version 2)" in nurse.find(".history").text
    _tab_to(nurse, "download-pdf")
    ActionChains(nurse.driver).send_keys(Keys.ENTER).perform()
    assert nurse.downloaded(".pdf").read_bytes().startswith(b"%PDF-")
    # The skip link is the first stop and leads to the content.
    nurse.driver.get(nurse.driver.current_url)
    ActionChains(nurse.driver).send_keys(Keys.TAB).perform()
    assert nurse.driver.execute_script("return document.activeElement.className") == "skip"


def test_every_page_passes_axe_core_and_is_pictured(nurse: Nurse, site: tuple[str, Run]) -> None:
    """No serious or critical axe-core violation on any page, signed out, signed in, with errors."""
    if shutil.which("node") is None and not AXE.exists():
        pytest.fail("axe-core is needed: npm ci in tests/interop")
    seen: dict[str, list[dict[str, Any]]] = {}

    def check(name: str) -> None:
        seen[name] = nurse.axe()
        nurse.picture(name)

    nurse.go("/signin")
    check("signin")
    nurse.sign_in()
    nurse.go("/plans/new")
    check("pick")
    nurse.go("/plans/new?schedule=blinatumomab-rr")
    check("new")
    nurse.type("#start", "2027-02-30")
    nurse.type("#tz", "America/Torontoo")
    nurse.click("#create")
    check("new-errors")
    nurse.type("#start", "2027-01-04")
    nurse.type("#tz", "America/Toronto")
    nurse.type("#label", LABEL)
    nurse.type("#contact\\.daytime", "514-555-0100")
    nurse.click("#create")
    check("plan")
    plan_id = plan_id_of(nurse.driver.current_url)
    nurse.go(f"/plans/{plan_id}/plan.html")
    check("printable")
    nurse.go(f"/plans/{plan_id}/adjust")
    check("adjust")
    nurse.type("#hold_cycle", "1")
    nurse.type("#hold_day", "50")
    nurse.click("#check")
    check("adjust-errors")
    nurse.type("#hold_cycle", "")
    nurse.type("#hold_day", "")
    nurse.type("#delay_cycle", "2")
    nurse.type("#delay_days", "7")
    nurse.click("#check")
    check("adjust-preview")
    nurse.click("#confirm")
    nurse.go(f"/plans/{plan_id}?saved=2&twice=1")  # as after a confirm sent twice
    check("plan-already-saved")
    nurse.go(f"/plans/{plan_id}")
    nurse.click("#revoke")  # asked once more before the patient's calendar stops following
    check("feed-confirm")
    nurse.go("/plans")
    check("plans")
    nurse.go("/plans/nosuchplan")
    check("not-found")
    nurse.go("/lang/fr?next=/plans/new%3Fschedule%3Dinotuzumab")
    check("new-fr")
    nurse.go(f"/plans/{plan_id}")
    check("plan-fr")
    print(json.dumps({name: len(v) for name, v in seen.items()}))
    assert {name: v for name, v in seen.items() if v} == {}


def test_a_newer_definition_is_reviewed_and_applied_from_the_plan_page(
    nurse: Nurse, site: tuple[str, Run], tmp_path: Path
) -> None:
    """The plan page offers the upgrade; its review reads at desktop width and on a 390 px phone.

    The definition is the plan's own copy of inotuzumab's: cycle 1's first infusion lasts 90
    minutes instead of 60, and the premedication is taken out. Pictures of each page are written
    into the test's folder (and examples/pictures/web-upgrade*.png with DOSECAL_WEB_SCREENSHOTS=1).
    """
    _, dosecal = site
    definition = tmp_path / "my-inotuzumab.toml"
    shutil.copy(ROOT / "schedules" / "inotuzumab.toml", definition)
    plan = tmp_path / "plan.toml"
    example = (ROOT / "examples" / "inotuzumab.plan.toml").read_text(encoding="utf-8")
    plan.write_text(
        example.replace('schedule = "inotuzumab"', f'schedule = "{definition}"'), encoding="utf-8"
    )
    added = dosecal("store", "add", "--plan", str(plan), "--label", LABEL)
    assert added.exit_code == 0, added.output
    found = re.search(r"stored plan (\w+) \(version 1\)", added.output)
    assert found, added.output
    plan_id = found.group(1)
    text = definition.read_text(encoding="utf-8").replace("minutes = 60\n", "minutes = 90\n", 1)
    premedication = re.compile(
        r"\n  # A corticosteroid[^\n]*\n  \[\[phases\.premedications\]\]\n(  [^\n]*\n)+"
    )
    definition.write_text(premedication.sub("\n", text), encoding="utf-8")

    def shot(name: str) -> Path:
        path = tmp_path / f"web-{name}.png"
        nurse.driver.save_screenshot(str(path))
        nurse.picture(name)
        return path

    nurse.sign_in()
    nurse.go(f"/plans/{plan_id}")
    card = nurse.find("#upgrade")
    assert "Newer definition available" in card.text
    shot("upgrade-card")
    nurse.click("#review-upgrade")
    assert nurse.driver.current_url.endswith(f"/plans/{plan_id}/upgrade")
    moves = nurse.find("#moves").text
    assert (
        "moves: C1D1 Observation after inotuzumab ozogamicin: Mon 4 Jan 2027 11:00 → Mon 4 Jan 2027 11:30"
        in moves
    )
    assert "Corticosteroid, antipyretic and antihistamine" in nurse.find("#withdrawn").text
    assert nurse.axe() == []
    nurse.driver.set_window_size(1280, 1400)
    shot("upgrade")
    # A phone 390 px wide: nothing runs off the side, the button is whole and can be pressed.
    nurse.driver.set_window_size(390, 900)
    tall = nurse.driver.execute_script("return document.documentElement.scrollHeight")
    nurse.driver.set_window_size(390, tall + 200)  # the whole page in one picture
    width = nurse.driver.execute_script("return window.innerWidth")
    assert width <= 390
    overflow = nurse.driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    shot("upgrade-phone")
    assert overflow <= 0, f"the review runs {overflow} px off a 390 px screen"
    button = nurse.find("#confirm")
    box = nurse.driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right]", button
    )
    assert box[0] >= 0 and box[1] <= width
    nurse.driver.set_window_size(1280, 900)
    nurse.click("#confirm")
    assert nurse.driver.current_url.endswith(f"/plans/{plan_id}?saved=2")
    assert nurse.find("#saved").text == "Saved as version 2."
    assert "Definition upgraded (version 2)" in nurse.find(".history").text
    assert not nurse.driver.find_elements("css selector", "#upgrade")
    assert "version 2  upgrade by mtremblay" in dosecal("store", "show", plan_id).output


def _whole_page(nurse: Nurse, path: Path, width: int) -> None:
    """A picture of the whole page at ``width`` CSS pixels; fails when the page is wider than that.

    A phone's 390 px too: emulated, since a headless window is at least 500 px wide.
    """
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500}
    nurse.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        wide, tall = nurse.driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        nurse.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": tall})
        nurse.driver.save_screenshot(str(path))
        assert wide <= width, f"{nurse.driver.current_url} is {wide} px wide at {width} px"
    finally:
        nurse.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_an_administrator_adds_an_account_on_the_accounts_page(
    nurse: Nurse, site: tuple[str, Run], tmp_path: Path
) -> None:
    """The accounts page, an account's page and the audit trail: axe-core clean, whole at 1280 and 390 px.

    Pictured into the test's folder each run (examples/pictures/web-admin*.png with
    ``DOSECAL_WEB_SCREENSHOTS=1``).
    """
    _, dosecal = site
    assert dosecal("users", "teams", "mtremblay", "--admin", "--join", "hematology").exit_code == 0
    folder = PICTURES if os.environ.get("DOSECAL_WEB_SCREENSHOTS") else tmp_path
    seen: dict[str, list[dict[str, Any]]] = {}

    def check(name: str, kept: bool = True) -> None:
        seen[name] = nurse.axe()
        where = folder if kept else tmp_path  # the whole plan page is web-plan.png's to show
        _whole_page(nurse, where / f"web-{name}.png", 1280)
        _whole_page(nurse, where / f"web-{name}-phone.png", 390)

    nurse.sign_in()
    nurse.click("#nav-admin")
    assert nurse.driver.current_url.endswith("/admin")
    check("admin")
    nurse.type("#name", "lea")
    nurse.type("#password", "a brand new passphrase")
    nurse.type("#password2", "a brand new passphrase!")
    nurse.click("#team-hematology", navigates=False)
    nurse.click("#add-account")
    assert nurse.find("#password2-error").text == "The two passwords differ: type the same one twice."
    assert nurse.find("#password").get_attribute("value") == ""  # never sent back
    check("admin-errors")
    nurse.type("#password", "a brand new passphrase")
    nurse.type("#password2", "a brand new passphrase")
    assert nurse.find("#team-hematology").is_selected()  # kept from the first try
    nurse.click("#add-account")
    assert nurse.driver.current_url.endswith("/admin/users/lea#notice")
    assert nurse.find("#notice").text == "Account lea added: it can sign in now."
    check("admin-account")
    assert dosecal("users", "teams", "lea").output.strip() == "lea sees the plans of: hematology"
    nurse.click("#account-audit")
    newest = nurse.find("table.audit tbody tr")
    assert "Added an account" in newest.text  # in words; the code is its tooltip
    assert newest.find_element("css selector", "td.action").get_attribute("title") == "user-add"
    check("admin-audit")
    # A plan given to another team from its page, once confirmed.
    nurse.go("/plans/new?schedule=dasatinib")
    nurse.type("#start", "2027-01-04")
    nurse.click("#create")
    plan_id = plan_id_of(nurse.driver.current_url)
    assert "This plan belongs to team clinic" in nurse.find("#team").text
    check("plan-team", kept=False)
    nurse.click("#move-plan")
    check("plan-team-confirm")
    nurse.click("#confirm")
    assert nurse.find("#team-moved").text == "Moved to team hematology."
    trail = dosecal("audit", "--plan", plan_id).output
    assert f",mtremblay,team,{plan_id},127.0.0.1,hematology\n" in trail
    print(json.dumps({name: len(v) for name, v in seen.items()}))
    assert {name: v for name, v in seen.items() if v} == {}


def test_an_administrator_imports_a_regimen_after_its_preview_and_a_nurse_makes_a_plan_of_it(
    nurse: Nurse, site: tuple[str, Run], tmp_path: Path
) -> None:
    """The regimens page, a regimen in parts, a refused part and an import's preview, whole at 1280 and 390 px.

    Each is axe-core clean; then the regimen is on the new plan page and a plan is made of it.
    Pictured into the test's folder each run (examples/pictures/web-regimen*.png with
    ``DOSECAL_WEB_SCREENSHOTS=1``).
    """
    _, dosecal = site
    assert dosecal("users", "teams", "mtremblay", "--admin").exit_code == 0
    folder = PICTURES if os.environ.get("DOSECAL_WEB_SCREENSHOTS") else tmp_path
    fhir = ROOT / "tests" / "fhir"
    seen: dict[str, list[dict[str, Any]]] = {}

    def check(name: str) -> None:
        seen[name] = nurse.axe()
        _whole_page(nurse, folder / f"web-{name}.png", 1280)
        _whole_page(nurse, folder / f"web-{name}-phone.png", 390)

    def choose(path: Path) -> None:
        nurse.go("/admin/regimens")
        nurse.find("#file").send_keys(str(path))  # the browser's file chooser, as typed
        nurse.click("#preview")

    nurse.sign_in()
    nurse.click("#nav-regimens")
    assert nurse.driver.current_url.endswith("/admin/regimens")
    assert nurse.find("#no-regimens").text == "No regimen has been imported yet."
    choose(fhir / "PlanDefinition-60071000210106.json")
    assert "This regimen is given in 2 parts: which one do you import?" in nurse.find("fieldset").text
    check("regimen-parts")
    nurse.click("#part-2", navigates=False)
    nurse.click("#choose-part")
    assert "This file cannot be imported: nothing was stored." in nurse.find("#refused").text
    assert "cARBOplatin: a dose by AUC (area under the curve)" in nurse.find("#reasons").text
    check("regimen-refused")
    choose(fhir / "PlanDefinition-52331000210102.json")
    preview = nurse.find("#import-preview").text
    assert "A new regimen: this is its version 1." in preview
    assert "Left out of the calendar (2)" in preview
    assert "action[0].action[1]\nloperamide: taken only when needed" in nurse.find("#left-out").text
    check("regimen-preview")
    button = nurse.find("#confirm")
    box = nurse.driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right]", button
    )
    assert box[0] >= 0 and box[1] <= 1280
    nurse.click("#confirm")
    assert nurse.driver.current_url.endswith("/admin/regimens#notice")
    assert nurse.find("#notice").text == (
        "Regimen lung-nsclc-metastatic-alectinib imported as version 1: nurses can make plans of it now."
    )
    check("regimens")
    nurse.go("/plans/new")
    assert "The clinic's own, version 1" in nurse.find("#local").text
    check("regimen-pick")
    nurse.click("#pick-lung-nsclc-metastatic-alectinib")
    assert nurse.find("#local-regimen").text.startswith("The clinic's own regimen (version 1)")
    check("regimen-new")
    nurse.type("#start", "2027-01-04")
    nurse.type("#tz", "Pacific/Auckland")
    nurse.click("#create")
    plan_id = plan_id_of(nurse.driver.current_url)
    assert "LUNG NSCLC Metastatic - alectinib" in nurse.find(".facts").text
    assert (
        dosecal("store", "show", plan_id)
        .output.splitlines()[0]
        .endswith("(definition from regimen:lung-nsclc-metastatic-alectinib)")
    )
    print(json.dumps({name: len(v) for name, v in seen.items()}))
    assert {name: v for name, v in seen.items() if v} == {}
