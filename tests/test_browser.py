"""The web pages in a real browser: Debian's Chromium, headless, driven by Playwright.

Each page visited is checked with axe-core (WCAG 2.1 A and AA rules, contrast included) and,
at phone width, for sideways scrolling. The practitioner's journey runs with JavaScript off:
the pages must not need it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    Site,
    screenshot_dir,
    serve,
    skip_without_browser,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FRAMEWORK = "d2030-commitment"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    skip_without_browser()
    yield from serve(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    skip_without_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(tmp_path_factory.mktemp("shots"))


def accessible(page: Any) -> None:
    """axe-core finds nothing against WCAG 2.1 A/AA on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    violations = Axe().run(page, options=options).response["violations"]
    found = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    assert not found, f"{page.url}: {found}"


def fits_phone(page: Any) -> None:
    """Nothing wider than the screen, so no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def sign_in(page: Any, site: Site, role: str) -> None:
    page.goto(f"{site.url}/")
    assert "/sign-in" in page.url  # not signed in: sent to sign in first
    page.get_by_label("Your key").fill(site.keys[role])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/")


def set_default_targets(site: Site) -> None:
    """The organisation's default: everyone aims for Embedding on 1.1 (coordinator, via API)."""
    response = httpx2.put(
        f"{site.url}/v1/frameworks/{FRAMEWORK}/targets",
        json={"targets": {"1.1": "embedding"}},
        headers={"Authorization": f"Bearer {site.keys['coordinator']}"},
    )
    assert response.status_code == 200, response.text


def suggestion_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("ol.recs li.rec h3").all_inner_texts()]


def test_practitioner_journey_without_javascript(browser: Any, site: Site, shots: Path) -> None:
    set_default_targets(site)
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, site, "practitioner")
    page.screenshot(path=shots / "home.png", full_page=True)

    page.get_by_role("link", name="Start your self-assessment").first.click()
    assert page.locator("h1").inner_text().startswith("1.1")
    assert page.get_by_role("progressbar", name="Step 1 of 5").is_visible()
    exploring = page.get_by_role("group", name="Exploring").get_by_role("checkbox")
    exploring.nth(0).check()
    exploring.nth(1).check()
    page.screenshot(path=shots / "questionnaire.png", full_page=True)
    page.get_by_role("button", name="Next strand").click()

    # Step 2; going back keeps what was ticked on step 1.
    assert page.locator("h1").inner_text().startswith("1.2")
    page.get_by_role("button", name="Back").click()
    exploring = page.get_by_role("group", name="Exploring").get_by_role("checkbox")
    assert exploring.nth(0).is_checked() and exploring.nth(1).is_checked()
    page.get_by_role("button", name="Next strand").click()

    # Strand 1.2: pick the level directly; the rest unanswered.
    page.get_by_label("Or choose your level yourself").select_option(label="Embedding")
    while page.get_by_role("button", name="Next strand").count():
        page.get_by_role("button", name="Next strand").click()
    page.get_by_role("button", name="Next: your targets").click()

    # Targets: the organisation's default is chosen for 1.1 and says so.
    assert page.locator("h1").inner_text() == "Where do you want to be?"
    target_11 = page.get_by_label(re.compile(r"^1\.1 "))
    assert target_11.input_value() == "embedding"
    assert "your organisation's default" in page.locator("#target-1-hint").inner_text()
    page.get_by_label(re.compile(r"^1\.3 ")).select_option(label="Embedding")
    page.screenshot(path=shots / "targets.png", full_page=True)
    page.get_by_role("button", name="Save and see suggestions").click()

    # Results: chart with a text alternative, the table, suggestions with reasons.
    assert page.get_by_role("status").first.inner_text() == "Your self-assessment is saved."
    chart = page.locator("svg[role=img]").first
    assert chart.get_attribute("aria-labelledby")
    rows = page.get_by_role("table").first.locator("tbody tr").all_inner_texts()
    assert any(r.startswith("1.1") and "Exploring" in r and "Embedding" in r for r in rows)
    assert any(r.startswith("1.2") and "Embedding" in r for r in rows)
    titles = suggestion_titles(page)
    assert len(titles) >= 3
    assert all(w.startswith("Why:") for w in page.locator("ol.recs .why").all_inner_texts())
    page.screenshot(path=shots / "results.png", full_page=True)

    # Filters: online only.
    page.get_by_role("checkbox", name="online", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    metas = page.locator("ol.recs li.rec .meta").all_inner_texts()
    assert metas and all(m.startswith("online") for m in metas)
    page.get_by_role("link", name="Clear filters").click()

    # Mark the first as done, dismiss the next: both leave the list for good.
    first, second, third = titles[0], titles[1], titles[2]
    page.get_by_role("button", name=f"Mark as done: {first}").click()
    assert f"Marked “{first}” as done" in page.get_by_role("status").first.inner_text()
    page.get_by_role("button", name=f"Not for me: {second}").click()
    assert f"Dismissed “{second}”" in page.get_by_role("status").first.inner_text()
    after = suggestion_titles(page)
    assert first not in after and second not in after and third in after
    assert "2 activities you finished or dismissed are left out" in page.content()

    # Rating without choosing stars says what to do; with stars it is thanked.
    page.get_by_role("button", name=f"Rate: {third}").click()
    assert "Choose how many stars" in page.get_by_role("alert").inner_text()
    page.get_by_role("group", name=f"Rate it: {third}").get_by_label("4 out of 5").check()
    page.get_by_role("button", name=f"Rate: {third}").click()
    assert f"Thank you for rating “{third}”" in page.get_by_role("status").first.inner_text()

    # Later: assess again, higher on 1.1; progress shows both dates.
    page.get_by_role("link", name="Assess yourself again").first.click()
    page.get_by_label("Or choose your level yourself").select_option(label="Embedding")
    page.get_by_role("button", name="Next strand").click()
    page.get_by_label("Or choose your level yourself").select_option(label="Embedding")
    while page.get_by_role("button", name="Next strand").count():
        page.get_by_role("button", name="Next strand").click()
    page.get_by_role("button", name="Next: your targets").click()
    page.get_by_label(re.compile(r"^1\.1 ")).select_option(label="Transforming")
    page.get_by_role("button", name="Save and see suggestions").click()
    progress = page.get_by_role("table", name="Your level on each strand at each self-assessment")
    assert progress.locator("thead th").count() == 3  # strand + two assessments
    row_11 = progress.locator("tbody tr").filter(has_text="1.1").inner_text()
    assert "Exploring" in row_11 and "Embedding" in row_11
    assert page.locator("svg[role=img]").nth(1).get_attribute("aria-labelledby")
    context.close()


def test_pages_fit_a_phone_and_pass_axe(browser: Any, site: Site, shots: Path) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.goto(f"{site.url}/sign-in")
    accessible(page)
    fits_phone(page)
    sign_in(page, site, "practitioner")
    fits_phone(page)
    for path in (f"/assess/{FRAMEWORK}", f"/results/{FRAMEWORK}", "/my-data"):
        page.goto(site.url + path)
        fits_phone(page)
        accessible(page)
    page.goto(f"{site.url}/results/{FRAMEWORK}")
    page.screenshot(path=shots / "results-phone.png", full_page=True)
    context.close()


def test_keyboard_alone_reaches_and_uses_the_sign_in_form(browser: Any, site: Site) -> None:
    page = browser.new_page()
    page.goto(f"{site.url}/sign-in")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")  # skip the header
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "key"
    page.keyboard.type(site.keys["practitioner"])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/")
    page.close()


def test_signing_out_ends_the_session(browser: Any, site: Site) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, site, "practitioner")
    cookie = next(c for c in context.cookies() if c["name"] == "cpdrec_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("status").inner_text() == "You have signed out."
    # The old cookie, replayed, no longer works.
    context.add_cookies([{**cookie}])
    page.goto(f"{site.url}/my-data")
    assert "/sign-in" in page.url
    context.close()


def test_coordinator_adds_edits_and_meets_a_colleagues_save(
    browser: Any, site: Site, shots: Path
) -> None:
    mine, theirs = browser.new_context(viewport=DESKTOP), browser.new_context(viewport=DESKTOP)
    page, colleague = mine.new_page(), theirs.new_page()
    for p in (page, colleague):
        p.set_default_timeout(15_000)
        sign_in(p, site, "coordinator")

    # Add, first with a mistake the form explains beside the field.
    page.goto(f"{site.url}/catalogue")
    page.get_by_role("link", name="Add an activity").click()
    page.locator("#id").fill("WEB-1")
    page.locator("#title").fill("Data protection drop-in for tutors")
    page.locator("#description").fill(
        "Bring a real question about learners' data and leave with an answer."
    )
    page.locator("#format").select_option("face-to-face")
    page.locator("#duration_hours").fill("an hour")
    page.locator("#save").click()
    assert page.locator("#error-summary").is_visible()
    assert page.locator("#duration_hours-error").inner_text()
    assert page.locator("#duration_hours").get_attribute("aria-invalid") == "true"
    assert page.locator("#title").input_value() == "Data protection drop-in for tutors"
    accessible(page)
    page.screenshot(path=shots / "activity-form-errors.png", full_page=True)
    page.locator("#duration_hours").fill("1")
    page.locator("#tags").fill(f"{FRAMEWORK}:1.3:exploring")
    page.locator("#save").click()
    added = "Added “Data protection drop-in for tutors” to your catalogue."
    assert page.locator("#notice").inner_text() == added

    # Both open it; the colleague saves first; my save shows what they changed.
    edit = f"{site.url}/catalogue/WEB-1/edit"
    page.goto(edit)
    colleague.goto(edit)
    colleague.locator("#title").fill("Data protection drop-in (Tuesdays)")
    colleague.locator("#save").click()
    assert (
        colleague.locator("#notice").inner_text() == "Saved “Data protection drop-in (Tuesdays)”."
    )
    page.locator("#description").fill("Bring your question about learners' data; we answer it.")
    page.locator("#save").click()
    conflict = page.locator("#conflict")
    assert "Someone else saved this activity since you opened it" in conflict.inner_text()
    differing = page.locator("#differences tr[data-field=title]").inner_text()
    assert "Data protection drop-in (Tuesdays)" in differing
    assert page.locator("#description").input_value().startswith("Bring your question")
    accessible(page)
    page.screenshot(path=shots / "edit-conflict.png", full_page=True)
    page.locator("#save").click()  # "Save mine, replacing theirs": a deliberate overwrite
    assert page.locator("#notice").inner_text() == "Saved “Data protection drop-in for tutors”."

    stored = httpx2.get(
        f"{site.url}/v1/activities/WEB-1",
        headers={"Authorization": f"Bearer {site.keys['coordinator']}"},
    ).json()
    assert stored["description"].startswith("Bring your question")
    assert stored["title"] == "Data protection drop-in for tutors"  # mine replaced theirs
    mine.close()
    theirs.close()


def test_coordinator_imports_a_csv_after_checking_it(
    browser: Any, site: Site, shots: Path, tmp_path: Path
) -> None:
    page = browser.new_page(viewport=DESKTOP)
    page.set_default_timeout(15_000)
    sign_in(page, site, "coordinator")
    header = "id,title,description,format,duration_hours,cost,provider,url,tags\n"
    good = (
        "IMP-1,Mentoring circle for new tutors,Fortnightly peer mentoring on digital practice.,"
        f"mentoring,6,0,College,,{FRAMEWORK}:1.1:exploring\n"
    )
    bad = "IMP-2,Webinar on passwords,Staying safe with passwords.,webinar,1,0,,,\n"
    (tmp_path / "broken.csv").write_text(header + good + bad)
    (tmp_path / "fixed.csv").write_text(header + good + bad.replace("webinar,", "online,"))

    page.goto(f"{site.url}/catalogue/import")
    accessible(page)
    page.locator("#file").set_input_files(tmp_path / "broken.csv")
    page.locator("#check").click()
    problems = page.locator("#import-problems tbody tr").all_inner_texts()
    assert len(problems) == 1
    line, column, field = problems[0].split("\t")[:3]
    assert (line.strip(), column.strip(), field.strip()) == ("3", "4", "format")
    assert page.locator("#import").count() == 0  # nothing to import from a broken file

    page.locator("#file").set_input_files(tmp_path / "fixed.csv")
    page.locator("#check").click()
    outcomes = page.locator("#import-report td[data-outcome]").all_inner_texts()
    assert outcomes == ["add", "add"]
    accessible(page)
    page.screenshot(path=shots / "import-report.png", full_page=True)
    before = httpx2.get(
        f"{site.url}/v1/activities/IMP-1",
        headers={"Authorization": f"Bearer {site.keys['coordinator']}"},
    )
    assert before.status_code == 404  # checking changed nothing
    page.locator("#import").click()
    assert page.locator("#notice").is_visible()
    for activity in ("IMP-1", "IMP-2"):
        after = httpx2.get(
            f"{site.url}/v1/activities/{activity}",
            headers={"Authorization": f"Bearer {site.keys['coordinator']}"},
        )
        assert after.status_code == 200, activity
    page.close()


def test_coordinator_pages_pass_axe_and_fit_a_phone(browser: Any, site: Site, shots: Path) -> None:
    lms = {"Authorization": f"Bearer {site.keys['lms']}"}
    for i in range(6):  # enough people for the staff-gap heatmap to show counts
        answer = {
            "subject": f"staff-{i}",
            "framework": FRAMEWORK,
            "levels": {"1.1": "exploring", "1.3": None},
            "targets": {"1.1": "embedding", "1.3": "exploring"},
        }
        assert (
            httpx2.post(f"{site.url}/v1/assessments", json=answer, headers=lms).status_code == 201
        )
    untagged = {
        "id": "AXE-1",
        "title": "Keeping learners' data safe in the cloud",
        "description": "Where learner records live, who can see them, and how to share safely.",
        "format": "online",
        "duration_hours": 2,
        "cost": 0,
    }
    coordinator = {"Authorization": f"Bearer {site.keys['coordinator']}"}
    created = httpx2.post(f"{site.url}/v1/activities", json=untagged, headers=coordinator)
    assert created.status_code == 201, created.text
    for viewport in (DESKTOP, PHONE):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        sign_in(page, site, "coordinator")
        for path, name in (
            ("/catalogue", "catalogue"),
            ("/catalogue?untagged=1", None),
            ("/catalogue/new", None),
            ("/catalogue/import", None),
            ("/catalogue/AXE-1/tags", "tag-review"),
            (f"/coverage?framework={FRAMEWORK}", "coverage"),
            (f"/gaps?framework={FRAMEWORK}", "staff-gaps"),
            (f"/targets?framework={FRAMEWORK}", "default-targets"),
        ):
            response = page.goto(site.url + path)
            assert response is not None and response.status < 400, path
            accessible(page)
            if viewport is PHONE:
                fits_phone(page)
            if name and viewport is DESKTOP:
                page.screenshot(path=shots / f"{name}.png", full_page=True)
        context.close()


def test_the_people_page_passes_axe_and_fits_a_phone(browser: Any, site: Site) -> None:
    for viewport in (DESKTOP, PHONE):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        sign_in(page, site, "admin")
        page.goto(f"{site.url}/people")
        page.get_by_label("Their id in your LMS").first.fill("ceri@coleg.example")
        page.get_by_role("button", name="Make their key").click()
        assert page.locator("#new-key-value").inner_text().startswith("cpd_")
        accessible(page)
        if viewport is PHONE:
            fits_phone(page)
        context.close()


def test_the_questionnaire_works_by_keyboard_with_visible_focus(browser: Any, site: Site) -> None:
    page = browser.new_page()
    sign_in(page, site, "practitioner")
    page.goto(f"{site.url}/assess/{FRAMEWORK}")

    def tab_to(selector: str) -> None:
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                assert outline not in ("none", ""), f"{selector} has no visible focus"
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to('input[name="affirmed"]')
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    tab_to('button[value="next"]')
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("1.2")
    page.close()
