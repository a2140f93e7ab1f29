"""The pages in a real headless Chromium (Debian's), against a real `bsm serve` process.

Screenshots of every page are kept in test-artifacts/screenshots (printed at the end of the run).
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from boligsocial.common.words import words
from conftest import HOUSING_ORG, ROLES

pytestmark = pytest.mark.slow  # drives Chromium against a real server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts" / "screenshots"

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(
            "Debian chromium is required for the browser tests in CI (apt-get install chromium)",
            pytrace=False,
        )
    pytest.skip("no /usr/bin/chromium on this machine", allow_module_level=True)

from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    expect,
    sync_playwright,
)

TOKEN: dict[str, str] = {}


def api(server: str, path: str, **params: object) -> httpx.Response:
    """The API as the analyst sees it (with a token), to compare the pages with."""
    return httpx.get(
        server + path, params=params or None, headers={"Authorization": f"Bearer {TOKEN['analyst']}"}
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(example_db: Path, *options: str) -> Iterator[str]:
    """A real `bsm serve` process on the example (with a user per role) until the block ends."""
    from boligsocial.publish.access import Access, default_access_path

    store = Access(default_access_path(example_db))
    for role in ROLES:
        if store.user(role) is None:
            store.add_user(
                role,
                role,
                f"password-{role}",
                HOUSING_ORG if role == "housing_association" else None,
                weak_password_ok=True,
            )
    for role in ("analyst", "staff"):
        if role not in TOKEN:
            TOKEN[role] = store.new_token(role, "browser tests")
    port = free_port()
    bsm = Path(sys.executable).parent / "bsm"
    proc = subprocess.Popen(
        [str(bsm), "serve", "--db", str(example_db), "--port", str(port), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("bsm serve did not start")
        # the server works out what each audience may see in the background (tens of seconds on a
        # loaded machine); a staff member's moves answer waits for it, so the pages' own waits
        # measure the pages and not that build
        ready = httpx.get(
            url + "/api/v1/moves/flows",
            headers={"Authorization": f"Bearer {TOKEN['staff']}"},
            timeout=900,
        )
        assert ready.status_code == 200, ready.text
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(example_db: Path) -> Iterator[str]:
    with serving(example_db) as url:
        yield url


@pytest.fixture(scope="module")
def nine_server(example_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard under an installation's policy that hides counts of 1–9 (label "<10")."""
    policy = tmp_path_factory.mktemp("policy") / "policy.toml"
    policy.write_text("[default]\nsmall_count_max = 9\n", encoding="utf-8")
    with serving(example_db, "--policy", str(policy)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


class Watched:
    """A page whose console errors and requests outside the app are recorded."""

    def __init__(self, page: Page, base: str) -> None:
        self.page, self.errors, self.outside = page, [], []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "request",
            lambda r: (
                None if r.url.startswith(base) or r.url.startswith("data:") else self.outside.append(r.url)
            ),
        )

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.outside == [], self.outside


def login(p: Page, role: str) -> None:
    p.goto("/")
    p.wait_for_url("**/login?next=/")
    p.fill("input[name=username]", role)
    p.fill("input[name=password]", f"password-{role}")
    p.click("button[type=submit]")
    p.wait_for_url("**/")


def logged_in(
    browser: Browser, server: str, size: tuple[int, int], role: str
) -> tuple[BrowserContext, Watched]:
    """A new browser context of this window size, logged in as `role`, on the overview."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, base_url=server)
    watched = Watched(context.new_page(), server)
    login(watched.page, role)
    return context, watched


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    watched = Watched(context.new_page(), server)
    login(watched.page, "analyst")
    yield watched
    watched.clean()
    context.close()


@pytest.fixture
def anonymous_page(browser: Browser, server: str) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    watched = Watched(context.new_page(), server)
    yield watched
    context.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def wait_map(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("#map path.area")


def test_overview_map_draws_one_shape_per_area_and_follows_the_controls(page: Watched, server: str) -> None:
    p = page.page
    p.goto("/")
    wait_map(p)
    shot(p, "oversigt")
    features = api(server, "/api/v1/layers/omraade/areas", year=2025).json()["features"]
    assert p.locator("#map path.area").count() == len(features) == 82
    assert "Dataår 2025" in p.locator("#map-title").inner_text()
    fills_before = p.eval_on_selector_all("#map path.area", "ps => ps.map(p => p.getAttribute('fill'))")
    legend_before = p.locator("#legend").inner_text()

    p.select_option("#indicator", "mean_income_15_64")
    expect(p.locator("#map-title")).to_contain_text("bruttoindkomst")
    p.wait_for_load_state("networkidle")
    assert p.locator("#legend").inner_text() != legend_before and "kr." in p.locator("#legend").inner_text()
    fills_after = p.eval_on_selector_all("#map path.area", "ps => ps.map(p => p.getAttribute('fill'))")
    assert fills_after != fills_before

    p.eval_on_selector("#year", "el => { el.value = 2018; el.dispatchEvent(new Event('input')); }")
    expect(p.locator("#map-title")).to_contain_text("2018")
    assert p.locator("#year-label").inner_text() == "2018"

    p.select_option("#mode", "category")
    expect(p.locator("#map-title")).to_contain_text("Listeår 2019")
    assert "Omdannelsesområde" in p.locator("#legend").inner_text()
    p.select_option("#mode", "traffic")
    expect(p.locator("#map-title")).to_contain_text("Trafiklys")
    assert {"Grøn", "Gul", "Rød"} <= set(p.locator("#legend").inner_text().split())
    assert p.locator("#watch tr").count() > 1  # areas on or near a list are called out


def test_layer_switch_draws_that_layers_areas(page: Watched, server: str) -> None:
    p = page.page
    p.goto("/")
    wait_map(p)
    p.select_option("#layer", "skoledistrikt")
    n = len(api(server, "/api/v1/layers/skoledistrikt/areas").json()["features"])
    expect(p.locator("#map path.area")).to_have_count(n)


def test_clicking_an_area_opens_its_profile(page: Watched) -> None:
    p = page.page
    p.goto("/")
    wait_map(p)
    p.locator('#map path.area[data-area-id="fjordby-kildeparken"]').click()
    p.wait_for_url("**/omraade/omraade/fjordby-kildeparken")
    p.wait_for_load_state("networkidle")
    p.wait_for_selector("#series .main-svg")
    shot(p, "omraade")
    assert p.locator("h1").inner_text() == "Kildeparken"
    assert p.locator("#why p").first.inner_text().startswith("Området opfylder")
    assert p.locator("#criteria tr").count() == 6
    assert p.locator("#forecast tr").count() == 3
    assert p.locator("#series .chart").count() == 6
    assert p.locator("#traffic .strip span").count() > 10
    assert "Dataår" in p.locator("#chart-age").inner_text()


def test_compare_table_sorts_and_downloads_csv(page: Watched, server: str) -> None:
    p = page.page
    p.goto("/sammenlign")
    p.wait_for_load_state("networkidle")
    p.wait_for_selector("#compare-chart .main-svg")
    shot(p, "sammenlign")
    assert p.locator("#table tr").count() == 83
    first = p.locator("#table tr:nth-child(2) td:nth-child(2)").inner_text()
    p.locator("#table th[data-key=value]").click()
    assert p.locator("#table tr:nth-child(2) td:nth-child(2)").inner_text() != first
    href = p.locator("#csv").get_attribute("href")
    assert href and href.startswith("/api/v1/layers/omraade/values.csv")
    text = api(server, href).text  # the first lines say who it is published for (and, for the
    lines = text.splitlines()  # analyst, that it holds exact counts); then the header
    assert lines[0].startswith("# FORTROLIGT") and lines[1] == "# audience: analyst"
    assert lines[2].startswith("area_id,")


def test_an_answer_to_an_older_choice_never_overwrites_a_newer_one(page: Watched, server: str) -> None:
    """The page's first answer (a share indicator) is held back until the user has chosen a count
    indicator and its answer is drawn; released late, it must not replace the table or the chart."""
    p = page.page
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if "indicator=outside_labour_18_64" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    p.route(lambda url: "/values?" in url, hold_the_first)
    p.goto("/sammenlign")
    p.wait_for_function("() => document.querySelector('#indicator').options.length > 1")
    while not held:
        p.wait_for_timeout(50)
    p.select_option("#indicator", "evicted_persons")
    p.wait_for_selector("#table tr:nth-child(2)")
    p.wait_for_selector("#compare-chart .main-svg")
    drawn = p.locator("#table").inner_text()
    title = p.locator("#compare-chart .gtitle").text_content() or ""
    indicators = {i["id"]: i for i in api(server, "/api/v1/meta").json()["indicators"]}
    assert title.startswith(indicators["evicted_persons"]["label_da"]), title
    assert "%" not in drawn  # counts, not the held shares
    late = held[0].fetch()  # the first answer, fetched now and handed to the page late
    assert late.ok and "outside_labour_18_64" in late.text()
    held[0].fulfill(response=late)
    p.wait_for_timeout(1000)  # time for the page to have drawn the late answer, were it to
    assert p.locator("#table").inner_text() == drawn
    assert p.locator("#compare-chart .gtitle").text_content() == title


def test_lists_page_shows_table_map_and_disagreements(page: Watched, server: str) -> None:
    p = page.page
    p.goto("/lister")
    wait_map(p)
    shot(p, "lister")
    assert p.locator("#map path.area").count() == 82
    assert p.locator("#table tr").count() == 83
    assert "Regelsæt: 2021" in p.locator("#rule-set").inner_text()
    found = api(server, "/api/v1/lists/disagreements").json()
    rows = p.locator("#disagreements tr")
    if found:
        assert rows.count() == len(found) + 1
    else:
        assert rows.count() == 2 and rows.nth(1).inner_text() == "Ingen"


def test_english_is_selectable(page: Watched) -> None:
    p = page.page
    p.goto("/")
    wait_map(p)
    p.locator("#lang-switch").click()
    p.wait_for_load_state("networkidle")
    assert p.locator("header nav a").first.inner_text() == "Overview"
    assert "Data year" in p.locator("#map-title").inner_text()
    shot(p, "overview-en")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_logs_in_and_sees_what_it_may(anonymous_page: Watched, role: str) -> None:
    p = anonymous_page.page
    login(p, role)
    p.wait_for_selector("#map path.area")
    assert p.locator("#who").inner_text() == f"{role} ({words('da')(f'role.{role}')})"  # a name, not the id
    may_export = role in ("admin", "analyst")
    assert p.locator("#downloads a").count() == (5 if may_export else 0)
    if may_export:  # the download links follow the chosen layer and year, and are for the own role
        href = p.locator("#downloads a[data-fmt=pdf]").get_attribute("href") or ""
        assert href.startswith("/api/v1/export/pdf?layer=omraade&year=") and href.endswith(
            f"&audience={role}"
        )
        with p.expect_download(timeout=120_000) as download:  # the first file builds the workbook
            p.locator("#downloads a[data-fmt=xlsx]").click(timeout=120_000)
        assert download.value.suggested_filename == f"boligsocial_omraade_{role}.xlsx"
        # the click made an export job and showed its progress beside the button, ending in "ready"
        status = p.locator("#downloads .export-status")
        assert status.get_attribute("data-state") == "done" and status.get_attribute("data-fmt") == "xlsx"
        assert status.inner_text() == "Excel: Filen er klar og hentes."
        shot(p, f"downloads-{role}")
        if role == "admin":  # the audit log says a job made it
            jobs = p.evaluate("fetch('/api/v1/audit?event=export&limit=5').then(r => r.json())")
            assert any('"job"' in json.dumps(r.get("detail")) for r in jobs)
        with p.expect_download() as download:
            p.locator("#downloads a[data-fmt=csv]").click()
        first = Path(download.value.path()).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# FORTROLIGT") == (role == "analyst")  # the analyst's exact counts
    p.goto("/sammenlign")
    p.wait_for_selector("#table tr:nth-child(2)")
    assert p.locator("#csv").is_visible() == (role in ("admin", "analyst"))
    # a politician's or staff member's map never shows a small area's figure
    if role != "analyst":
        cells = p.eval_on_selector_all("#table tr td:nth-child(2)", "tds => tds.map(t => t.textContent)")
        assert "Ikke vist (diskretion)" in cells
    p.goto("/omraade/omraade/fjordby-kildeparken")  # an area of Fjordby Boligselskab
    p.wait_for_selector("#why p")
    assert p.locator("#profile-pdf").count() == (1 if may_export else 0)
    if may_export:
        pdf = p.locator("#profile-pdf").get_attribute("href") or ""
        assert pdf.endswith(f"&audience={role}")
    p.goto("/omraade/omraade/fjordby-skovbrynet")  # not one of Fjordby Boligselskab's areas
    p.wait_for_selector("#why")
    p.wait_for_selector("#traffic .strip span")
    # a housing association sees another area's overview, but not its traffic lights or forecast
    # (other roles may find some years hidden too, by the disclosure step: never for that reason)
    why = p.eval_on_selector_all("#traffic .strip span", "s => s.map(x => x.dataset.reason || '')")
    assert why
    if role == "housing_association":
        assert set(why) == {"not-your-area"}, why
    else:
        assert "not-your-area" not in why, why
    shot(p, f"rolle-{role}")
    anonymous_page.clean()


def test_logout_ends_the_session(page: Watched) -> None:
    p = page.page
    p.goto("/")
    p.click("#logout")
    p.wait_for_url("**/login")
    p.goto("/lister")
    p.wait_for_url("**/login?next=/lister")


def test_wrong_password_is_refused(anonymous_page: Watched) -> None:
    p = anonymous_page.page
    p.goto("/login")
    p.fill("input[name=username]", "staff")
    p.fill("input[name=password]", "not-the-password")
    p.click("button[type=submit]")
    assert "Forkert brugernavn eller adgangskode" in p.locator(".error").inner_text()


def test_moves_page_draws_flows_and_the_decomposition(page: Watched) -> None:
    p = page.page
    p.goto("/flytninger")
    p.wait_for_selector("#sankey .sankey")
    p.wait_for_selector("#decomposition .main-svg")
    expect(p.locator("#decomposition")).to_contain_text("Hvad ændrede uden for arbejdsmarkedet")
    assert p.locator("#od tr").count() > 10
    assert p.locator("#profiles tr").count() == 4  # header, in-movers, out-movers, stayers
    assert p.locator("#tallies tr").count() > 5  # header and one row per move year
    expect(p.locator("#tallies")).to_contain_text("Udskiftning")
    expect(p.locator("#displacement")).to_contain_text("Effekt på modtager")
    arrows = p.locator("#flowmap path.flow")
    assert 0 < arrows.count() <= 30 and p.locator("#flowmap path.area").count() > 50
    widths = [
        float(w)
        for w in p.eval_on_selector_all(
            "#flowmap path.flow", "ps => ps.map(p => p.getAttribute('stroke-width'))"
        )
    ]
    assert max(widths) > min(widths)  # wider arrows for bigger flows
    expect(p.locator("#flowmap-note")).to_contain_text(f"{arrows.count()} største strømme")

    def first_count() -> str:
        return p.locator("#od tr").nth(1).locator("td").nth(2).inner_text()

    everyone = first_count()
    p.select_option("#trait", "outside_labour")
    expect(p.locator("#od tr").nth(0)).to_contain_text("Uden for arbejdsmarkedet")
    assert first_count() != everyone  # fewer movers with the trait
    p.select_option("#criterion", "education")
    expect(p.locator("#decomposition")).to_contain_text("kun grundskole")
    expect(p.locator("#displacement-title")).to_contain_text("kun grundskole")
    p.check("#only-area")
    area = p.locator("#area option:checked").inner_text()
    expect(p.locator("#od tr").nth(1)).to_contain_text(area)
    p.uncheck("#only-area")
    p.select_option("#by", "housing_type")
    expect(p.locator("#od")).to_contain_text("Almen bolig")
    expect(p.locator("#flowmap path.flow")).to_have_count(0)  # arrows are between areas only
    p.select_option("#layer", "skoledistrikt")
    expect(p.locator("#area option")).to_have_count(18)
    p.select_option("#by", "area")
    p.wait_for_selector("#sankey .sankey")
    shot(p, "flytninger")


def test_moves_page_writes_the_label_of_the_policy_in_force(browser: Browser, nine_server: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=nine_server)
    watched = Watched(context.new_page(), nine_server)
    p = watched.page
    p.set_default_timeout(60_000)
    login(p, "staff")
    # a small count on the map's table says the label of the policy in force
    p.goto("/sammenlign")
    p.select_option("#indicator", "evicted_persons")
    p.wait_for_function("() => document.querySelector('#table').textContent.includes('<10')")
    assert "<5" not in p.locator("main").inner_text()
    p.goto("/flytninger")
    p.wait_for_selector("#od tr:nth-child(2)")
    last = p.locator("#to option:checked").inner_text()
    p.select_option("#from", last)  # one move year: its small flows are hidden
    # the moves show no label for a hidden flow (a label would bound it: docs/access.md)
    expect(p.locator("#od")).to_contain_text("Ikke vist (diskretion)")
    assert "<5" not in p.locator("main").inner_text() and "<10" not in p.locator("#od").inner_text()
    shot(p, "flytninger-politik-1-9")
    watched.clean()
    context.close()


@pytest.mark.parametrize(("width", "height"), [(1400, 1000), (390, 844)])
def test_the_revision_page_for_admins(browser: Browser, server: str, width: int, height: int) -> None:
    context, watched = logged_in(browser, server, (width, height), "admin")
    p = watched.page
    p.click("a[href='/revision']")
    p.wait_for_selector("#revision tbody tr")
    assert "Kæden er hel" in p.locator("#chain").inner_text()
    p.select_option("select[name=event]", "login")
    p.click("#filters button[type=submit]")
    p.wait_for_url("**/revision?event=login**")
    events = p.eval_on_selector_all(
        "#revision tbody tr td:nth-child(4)", "tds => tds.map(t => t.textContent)"
    )
    assert events and set(events) == {"login"}
    with p.expect_download() as download:
        p.click("#revision-csv")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,at,username,role,event") and all(",login," in line for line in lines[1:])
    # the page fits the phone: the table scrolls inside its box, not the page sideways
    page_width = p.evaluate("document.documentElement.scrollWidth")
    wide = p.evaluate(
        "w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)",
        width,
    )
    assert page_width <= width + 1, (page_width, wide)
    shot(p, f"revision-{width}")
    watched.clean()
    context.close()


@pytest.mark.parametrize(("width", "height"), [(1400, 1000), (390, 844)])
def test_the_users_page_revokes_a_token(
    browser: Browser, server: str, example_db: Path, width: int, height: int
) -> None:
    from boligsocial.publish.access import Access, default_access_path

    store = Access(default_access_path(example_db))
    secret = store.new_token("politician", f"revoke at {width}")
    token_id = str(store.tokens("politician")[-1]["id"])
    assert httpx.get(server + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    context, watched = logged_in(browser, server, (width, height), "admin")
    p = watched.page
    p.click("a[href='/brugere']")
    p.wait_for_selector("#users tbody tr")
    assert set(p.eval_on_selector_all("#users tbody tr", "rs => rs.map(r => r.dataset.user)")) >= set(ROLES)
    row = p.locator(f"#tokens tr[data-token='{token_id}']")
    expect(row).to_contain_text(f"revoke at {width}")
    page_width = p.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width + 1, page_width  # the tables scroll in their boxes on a phone
    shot(p, f"brugere-{width}")
    row.locator("button").click()
    p.wait_for_url("**/brugere?revoked=*")
    expect(p.locator("#done")).to_contain_text(token_id)
    assert p.locator(f"#tokens tr[data-token='{token_id}']").count() == 0
    assert httpx.get(server + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    watched.clean()
    context.close()


def test_the_revision_page_is_for_admins_only(anonymous_page: Watched) -> None:
    p = anonymous_page.page
    login(p, "staff")
    assert p.locator("a[href='/revision']").count() == 0
    assert p.locator("a[href='/brugere']").count() == 0
    response = p.goto("/revision")
    assert response is not None and response.status == 403
    response = p.goto("/brugere")
    assert response is not None and response.status == 403


#: The catalogues the pages speak from.
PAGE_WORDS = ("web.po", "vocabulary.po", "narrative.po")
#: The concepts whose ids a page must never show in place of their names.
ID_CONCEPTS = ("topic", "layer", "kind", "list", "colour", "housing", "criterion", "trait", "role")


def _danish_only_words() -> set[str]:
    """The words the pages say in Danish where English says something else: each message of the
    dashboard's catalogues (`web.po`, the vocabulary, the sentences) split at its parameters."""
    from boligsocial.common.words import catalogue_entries

    english = words("en")
    found: set[str] = set()
    for key, text, source in catalogue_entries("da"):
        if source in PAGE_WORDS and text != english(key):
            found |= {part.strip(" '—–,.:;()?!") for part in re.split(r"\{\w+\}", text)}
    english_text = " ".join(text for _, text, source in catalogue_entries("en") if source in PAGE_WORDS)
    # a part English also writes (a name, "Model", a legal term kept in Danish) is not Danish
    return {w for w in found if len(w) > 2 and not re.search(rf"(?<!\w){re.escape(w)}(?!\w)", english_text)}


def _ids() -> set[str]:
    """The ids of the concepts (`omraade`, `boern_unge`, `privat_leje`, …) that English does not
    also write as words."""
    from boligsocial.common.words import catalogue_entries
    from boligsocial.compute.trafficlight import load_models

    english_text = " ".join(text for _, text, source in catalogue_entries("en") if source in PAGE_WORDS)
    ids = {key.split(".", 1)[1] for key, _, _ in catalogue_entries("en") if key.split(".")[0] in ID_CONCEPTS}
    ids |= {m.id for m in load_models()}  # the traffic-light models, by their names
    return {i for i in ids if not re.search(rf"(?<!\w){re.escape(i)}(?!\w)", english_text)}


def test_the_english_pages_show_no_danish_word_and_no_id(browser: Browser, server: str) -> None:
    """Every page in English, as the admin sees it (every page, every panel): no Danish word of
    the catalogues and no concept's id; the areas' and the municipality's names are data."""
    context, watched = logged_in(browser, server, (1400, 1000), "admin")
    p = watched.page
    p.goto("/?lang=en")  # remembered by the cookie for the pages after it
    wait_map(p)
    meta = p.evaluate("fetch('/api/v1/meta').then(r => r.json())")
    names = {meta["municipality"]["name"], *ROLES}  # the test's users are named by their roles
    # the indicators' English names are their own (`label_en` in the indicator files), checked there
    names |= {i["label_en"] for i in meta["indicators"] if i.get("label_en")}
    for layer in meta["layers"]:
        areas = p.evaluate(f"fetch('/api/v1/layers/{layer['id']}/areas').then(r => r.json())")
        names |= {f["properties"]["name"] for f in areas["features"]}
    assert len(names) > 80
    danish, ids = _danish_only_words(), _ids()
    assert {"Områder", "Børn og unge", "Kriterium"} <= danish and {"omraade", "kriterier"} <= ids
    area = p.evaluate("fetch('/api/v1/layers/omraade/areas').then(r => r.json())")["features"][0]["id"]
    pages = [
        "/",
        "/lister",
        "/sammenlign",
        "/flytninger",
        f"/omraade/omraade/{area}",
        "/revision",
        "/brugere",
    ]
    seen = {}
    for path in pages:
        p.goto(path)
        p.wait_for_load_state("networkidle")
        p.wait_for_timeout(500)  # the last panels draw after their answers
        # the audit log's records are written as they happened (event codes, user names, the
        # parameters asked for): data, as a log must be; its headings and filters are words
        text = p.evaluate(
            "(() => { document.querySelectorAll('#revision tbody').forEach(t => t.style.display = 'none');"
            " return document.body.innerText; })()"
        )
        for name in sorted(names, key=len, reverse=True):  # the longest first: names in names
            text = text.replace(name, " ")
        seen[path] = text
        found = sorted(w for w in danish if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text))
        shown = sorted(i for i in ids if re.search(rf"(?<![\w/=]){re.escape(i)}(?![\w/=])", text))
        where = [
            m.group(0) for w in found + shown for m in re.finditer(rf".{{0,40}}{re.escape(w)}.{{0,40}}", text)
        ]
        assert (path, found, shown) == (path, [], []), where
        shot(p, "english" + path.replace("/", "-").rstrip("-"))
    assert all(len(t) > 200 for t in seen.values()), {k: len(t) for k, t in seen.items()}
    context.close()
