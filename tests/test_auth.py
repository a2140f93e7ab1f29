"""Login, roles on every endpoint, CSRF, API tokens, throttling, security headers, the audit log,
and that no password, token or session id is stored in clear."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from boligsocial.common.words import words
from boligsocial.outputs.cli import app as cli
from boligsocial.outputs.web import create_app
from boligsocial.outputs.web.settings import WebSettings
from boligsocial.publish.access import Access
from conftest import HOUSING_ORG, ROLES, client_for

OWN_AREA = "fjordby-egebo"  # only Fjordby Boligselskab has dwellings there in the example
OTHER_AREA = "fjordby-skovbrynet"  # has none of its dwellings
READ_ENDPOINTS = [
    "/api/v1/me",
    "/api/v1/meta",
    "/api/v1/layers/omraade/areas",
    "/api/v1/layers/omraade/values?indicator=residents",
    f"/api/v1/layers/omraade/areas/{OTHER_AREA}/series?indicator=residents",
    "/api/v1/lists",
    "/api/v1/lists/disagreements",
    "/api/v1/lists/watch",
    "/api/v1/lists/changes",
    "/api/v1/forecast",
    "/api/v1/traffic-lights",
]


def test_no_session_no_token_means_401_everywhere(web) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(web[0], base_url="https://testserver")
    for path in [*READ_ENDPOINTS, "/api/v1/audit", "/api/v1/layers/omraade/values.csv?indicator=residents"]:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "login-required"
    page = client.get("/lister", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/lister"


@pytest.mark.slow  # every endpoint, the moves' among them: builds their protection (minutes)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_on_each_endpoint(web, role: str) -> None:  # type: ignore[no-untyped-def]
    client = client_for(web, role)
    for path in READ_ENDPOINTS:
        assert client.get(path).status_code == 200, (role, path)
    assert client.get("/api/v1/me").json()["role"] == role
    export = client.get("/api/v1/layers/omraade/values.csv?indicator=residents")
    assert export.status_code == (200 if role in ("admin", "analyst") else 403)
    assert client.get("/api/v1/audit").status_code == (200 if role == "admin" else 403)
    own = client.get(f"/api/v1/layers/omraade/areas/{OWN_AREA}/profile")
    other = client.get(f"/api/v1/layers/omraade/areas/{OTHER_AREA}/profile")
    assert own.status_code == other.status_code == 200  # the overview of every area
    # another organisation's area in detail: its moves are refused, its traffic lights empty
    moves = client.get(f"/api/v1/layers/omraade/areas/{OTHER_AREA}/moves")
    assert moves.status_code == (403 if role == "housing_association" else 200)
    if role == "housing_association":
        assert moves.json()["error"]["code"] == "not-your-area"
        assert all(r["colour"] is None for r in other.json()["traffic_lights"])
        assert client.get(f"/api/v1/layers/omraade/areas/{OWN_AREA}/moves").status_code == 200
    assert client.get(f"/api/v1/layers/omraade/areas/{OTHER_AREA}/breakdown").status_code == 200
    missing = client.get("/api/v1/layers/omraade/areas/nowhere/series?indicator=residents")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown-area"
    assert client.get("/omraade/omraade/nowhere").status_code in (403, 404)


def test_policies_differ_by_role(web) -> None:  # type: ignore[no-untyped-def]
    analyst = client_for(web, "analyst").get("/api/v1/layers/landsby/values?indicator=residents").json()
    staff = client_for(web, "staff").get("/api/v1/layers/landsby/values?indicator=residents").json()
    assert {a["state"] for a in analyst["areas"]} == {"ok"}
    # villages of the small example have fewer than 100 residents: staff see only residents…
    staff_income = (
        client_for(web, "staff").get("/api/v1/layers/landsby/values?indicator=mean_income_15_64").json()
    )
    assert {a["state"] for a in staff_income["areas"]} == {"suppressed"}
    assert [a["value"] for a in staff["areas"]] == [a["value"] for a in analyst["areas"]]


def _login(client: TestClient, username: str, password: str) -> TestClient:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    return client.post(
        "/login", data={"username": username, "password": password, "csrf": token}, follow_redirects=False
    )


@pytest.fixture
def fresh(tmp_path: Path, example_db: Path) -> TestClient:
    app = create_app(example_db, WebSettings(access_db=tmp_path / "access.sqlite"))
    app.state.access.add_user("mette", "staff", "correct horse battery", weak_password_ok=True)
    return TestClient(app, base_url="https://testserver")


def test_login_sets_a_secure_http_only_same_site_session(fresh: TestClient) -> None:
    response = _login(fresh, "mette", "correct horse battery")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "bsm_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert fresh.get("/api/v1/me").json()["username"] == "mette"


def test_csrf_is_required_for_state_changing_requests(fresh: TestClient) -> None:
    _login(fresh, "mette", "correct horse battery")
    refused = fresh.post("/api/v1/tokens")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"
    page = fresh.get("/").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    created = fresh.post("/api/v1/tokens", headers={"X-CSRF-Token": csrf}, params={"label": "powerbi"})
    assert created.status_code == 200 and created.json()["token"].startswith("bsm_")
    # the new token works on its own, without a session
    token_client = TestClient(
        fresh.app,
        base_url="https://testserver",
        headers={"Authorization": f"Bearer {created.json()['token']}"},
    )
    assert token_client.get("/api/v1/me").json()["username"] == "mette"
    assert fresh.post("/logout", data={}).status_code == 403  # logout without the CSRF token
    assert fresh.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert fresh.get("/api/v1/me").status_code == 401


def test_login_form_needs_its_csrf_cookie(fresh: TestClient) -> None:
    response = fresh.post(
        "/login", data={"username": "mette", "password": "correct horse battery", "csrf": "forged"}
    )
    assert response.status_code == 403


def test_a_bad_token_is_refused(fresh: TestClient) -> None:
    response = fresh.get("/api/v1/meta", headers={"Authorization": "Bearer bsm_not-a-token"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad-token"


def test_failed_logins_are_throttled_and_audited(fresh: TestClient) -> None:
    for _ in range(5):
        assert _login(fresh, "mette", "wrong password!").status_code == 401
    assert _login(fresh, "mette", "correct horse battery").status_code == 429  # even the right one
    store: Access = fresh.app.state.access  # type: ignore[attr-defined]
    events = [r["event"] for r in store.audit(20)]
    assert events.count("login-failed") == 5 and events[0] == "login-throttled"


def test_views_exports_and_logins_are_audited_without_figures(web) -> None:  # type: ignore[no-untyped-def]
    client = client_for(web, "analyst")
    client.get(f"/api/v1/layers/omraade/areas/{OWN_AREA}/profile")
    client.get("/api/v1/layers/omraade/values.csv?indicator=residents&year=2025")
    log = client_for(web, "admin").get("/api/v1/audit").json()
    assert {"event": "profile-view", "target": f"omraade/{OWN_AREA}", "username": "analyst"}.items() <= log[
        1
    ].items()
    # the audience a file was published for is part of what was exported
    assert log[0]["event"] == "export" and log[0]["target"] == "csv omraade/residents/2025 for analyst"


def test_security_headers(web) -> None:  # type: ignore[no-untyped-def]
    response = client_for(web, "staff").get("/")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_no_password_token_or_session_in_clear(tmp_path: Path, example_db: Path) -> None:
    path = tmp_path / "access.sqlite"
    app = create_app(example_db, WebSettings(access_db=path))
    app.state.access.add_user("ole", "analyst", "s3cret-passphrase", weak_password_ok=True)
    client = TestClient(app, base_url="https://testserver")
    response = _login(client, "ole", "s3cret-passphrase")
    session = response.cookies.get("bsm_session") or re.search(
        r"bsm_session=([^;]+)", response.headers["set-cookie"]
    ).group(1)  # type: ignore[union-attr]
    token = app.state.access.new_token("ole")
    data = b"".join(p.read_bytes() for p in tmp_path.glob("access.sqlite*"))
    for secret in ("s3cret-passphrase", token, session):
        assert secret.encode() not in data
    assert b"$argon2id$" in data


def test_public_view_uses_the_strictest_policy(tmp_path: Path, example_db: Path) -> None:
    app = create_app(example_db, WebSettings(access_db=tmp_path / "a.sqlite", anonymous="public"))
    client = TestClient(app, base_url="https://testserver")
    me = client.get("/api/v1/me").json()
    assert me["role"] == "anonymous" and me["policy"] == "public"
    values = client.get("/api/v1/layers/omraade/values?indicator=outside_labour_18_64").json()
    shown = [a for a in values["areas"] if a["state"] in ("ok", "uncertain")]
    assert shown and all(a["denominator"] >= 50 for a in shown)
    assert client.get("/api/v1/layers/omraade/values.csv?indicator=residents").status_code == 403


def test_users_cli(tmp_path: Path, example_db: Path) -> None:
    runner = CliRunner()
    args = ["--db", str(example_db), "--access-db", str(tmp_path / "a.sqlite")]
    added = runner.invoke(
        cli,
        ["users", "add", "kim", *args, "--role", "politician"],
        input="a long passphrase\na long passphrase\n",
    )
    assert added.exit_code == 0, added.output
    short = runner.invoke(cli, ["users", "add", "bo", *args, "--role", "staff"], input="short\nshort\n")
    assert short.exit_code == 1 and "at least 12" in short.output
    org = runner.invoke(
        cli,
        ["users", "add", "bs", *args, "--role", "housing_association"],
        input="a long passphrase\na long passphrase\n",
    )
    assert org.exit_code == 1 and "organisation" in org.output
    assert (
        runner.invoke(
            cli,
            [
                "users",
                "set-role",
                "kim",
                *args,
                "--role",
                "housing_association",
                "--organisation",
                HOUSING_ORG,
            ],
        ).exit_code
        == 0
    )
    listed = runner.invoke(cli, ["users", "list", *args], terminal_width=200)
    role = words("da")("role.housing_association")  # the role by its name, never its id
    assert "kim" in listed.output and role in listed.output and "housing_association" not in listed.output
    token = runner.invoke(cli, ["users", "token", "kim", *args])
    assert token.exit_code == 0 and "bsm_" in token.output
    assert runner.invoke(cli, ["users", "remove", "kim", *args]).exit_code == 0
    assert "kim" not in runner.invoke(cli, ["users", "list", *args], terminal_width=200).output
    audit = runner.invoke(cli, ["audit", *args], terminal_width=200)
    assert audit.exit_code == 0


def test_the_login_page_speaks_the_language_asked_for_and_keeps_it(fresh: TestClient) -> None:
    from boligsocial.outputs.web.i18n import texts

    english, danish = texts("en"), texts("da")
    page = fresh.get("/login", params={"lang": "en", "next": "/flytninger"})
    assert '<html lang="en">' in page.text and f">{english['username']} <input" in page.text
    assert page.cookies.get("lang") == "en"  # remembered for the pages after the login
    # the switch back to Danish keeps where the visitor was going
    assert 'href="?lang=da&amp;next=/flytninger"' in page.text
    again = fresh.get("/login")
    assert '<html lang="en">' in again.text
    wrong = fresh.post(
        "/login?lang=en",
        data={
            "username": "nobody",
            "password": "not-a-password",
            "csrf": fresh.cookies.get("bsm_login_csrf") or "",
        },
    )
    assert english["login_failed"] in wrong.text and danish["login_failed"] not in wrong.text
    back = fresh.get("/login", params={"lang": "da"})
    assert '<html lang="da">' in back.text and f">{danish['username']} <input" in back.text


def test_the_login_page_reflects_nothing_as_markup(fresh: TestClient) -> None:
    evil = '"><script>alert(1)</script>'
    fresh.cookies.set("lang", evil)
    page = fresh.get("/login", params={"next": '/"><img src=x onerror=alert(2)>'})
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
    assert '<html lang="da">' in page.text  # an unknown language is the default one
    assert 'action="/login?next=/%22%3E%3Cimg' in page.text


def test_the_users_page_unlocks_users_and_revokes_tokens_for_admins_only(fresh: TestClient) -> None:
    store: Access = fresh.app.state.access  # type: ignore[attr-defined]
    store.add_user("anne", "admin", "correct horse battery", weak_password_ok=True)
    powerbi = store.new_token("mette", "powerbi")
    (token_id,) = [str(k["id"]) for k in store.tokens("mette")]
    for _ in range(store.throttle.account_failures):
        _login(TestClient(fresh.app, base_url="https://testserver"), "mette", "wrong password")
    assert [r["key"] for r in store.locked() if r["kind"] == "account"] == ["mette"]
    # a staff member is refused the page and its forms
    staff = TestClient(fresh.app, base_url="https://testserver")
    store.unlock("mette")
    _login(staff, "mette", "correct horse battery")
    assert staff.get("/brugere").status_code == 403
    staff_csrf = re.search(r'name="csrf" value="([^"]+)"', staff.get("/").text).group(1)  # type: ignore[union-attr]
    refused = staff.post("/brugere/tokens/" + token_id + "/revoke", data={"csrf": staff_csrf})
    assert refused.status_code == 403 and len(store.tokens("mette")) == 1
    for _ in range(store.throttle.account_failures):
        _login(TestClient(fresh.app, base_url="https://testserver"), "mette", "wrong password")
    # the admin sees every user, the lock and the token (never the token itself)
    _login(fresh, "anne", "correct horse battery")
    page = fresh.get("/brugere")
    assert page.status_code == 200
    row = re.search(r'<tr data-user="mette">.*?</tr>', page.text, re.S).group(0)  # type: ignore[union-attr]
    assert 'action="/brugere/unlock"' in row
    assert 'action="/brugere/unlock"' not in re.search(  # type: ignore[union-attr]
        r'<tr data-user="anne">.*?</tr>', page.text, re.S
    ).group(0)
    assert f'data-token="{token_id}"' in page.text and "powerbi" in page.text and powerbi not in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    # a form without the session's CSRF token changes nothing
    forged = fresh.post("/brugere/unlock", data={"username": "mette"})
    assert forged.status_code == 403 and store.locked()
    unlocked = fresh.post("/brugere/unlock", data={"username": "mette", "csrf": csrf}, follow_redirects=False)
    assert unlocked.status_code == 303 and unlocked.headers["location"] == "/brugere?unlocked=mette"
    assert not store.locked() and _login(staff, "mette", "correct horse battery").status_code == 303
    assert "mette er låst op." in fresh.get(unlocked.headers["location"]).text
    # revoking a token ends it at once
    api = TestClient(fresh.app, base_url="https://testserver", headers={"Authorization": f"Bearer {powerbi}"})
    assert api.get("/api/v1/me").status_code == 200
    revoked = fresh.post(f"/brugere/tokens/{token_id}/revoke", data={"csrf": csrf}, follow_redirects=False)
    assert revoked.status_code == 303 and not store.tokens("mette")
    assert api.get("/api/v1/me").status_code == 401
    assert fresh.post("/brugere/tokens/nothing/revoke", data={"csrf": csrf}).status_code == 404
    events = [(r["event"], r["username"]) for r in store.audit(20)]
    assert ("user-unlocked", "anne") in events and ("token-revoked", "anne") in events
