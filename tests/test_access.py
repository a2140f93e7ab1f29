"""Access as an attacker and a colleague meet it: throttling that cannot be raced and does not lock
out the neighbours, a password policy, revocation that takes effect at once, tokens that expire,
and an audit log that shows tampering and cannot be forged through the login form."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from boligsocial.common.errors import ConfigError
from boligsocial.outputs.cli import app as cli
from boligsocial.outputs.web import create_app
from boligsocial.outputs.web.settings import WebSettings
from boligsocial.publish.access import Access, Throttle
from boligsocial.publish.access import logins as logins_module
from conftest import example_copy

BSM = Path(sys.executable).parent / "bsm"
STRONG = "blæksprutte cykler langsomt til Tønder"


@pytest.fixture
def store(tmp_path: Path) -> Access:
    s = Access(tmp_path / "access.sqlite")
    for name in ("mette", "ole"):
        s.add_user(name, "staff", STRONG)
    return s


def _events(store: Access, event: str) -> int:
    return sum(1 for r in store.audit(10_000) if r["event"] == event)


# --- throttling ------------------------------------------------------------------------------------


def test_thirty_parallel_wrong_passwords_are_not_all_evaluated(store: Access) -> None:
    results: list[tuple[object, float]] = []
    start = threading.Barrier(30)

    def attempt() -> None:
        start.wait()
        results.append(store.login("mette", "wrong wrong wrong", "198.51.100.7"))

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    evaluated = [r for r in results if r[1] == 0]
    throttled = [r for r in results if r[1] > 0]
    limit = store.throttle.account_failures
    assert len(evaluated) == limit and len(throttled) == 30 - limit  # not 30 evaluated
    assert _events(store, "login-failed") == limit and _events(store, "login-throttled") == 30 - limit
    user, wait = store.login("mette", STRONG, "198.51.100.7")
    assert user is None and wait > 0  # locked, even with the right password


def test_one_users_typos_do_not_lock_out_a_colleague_behind_the_same_address(store: Access) -> None:
    town_hall = "192.0.2.10"
    for _ in range(8):
        store.login("mette", "typo typo typo", town_hall)
    assert store.login("mette", STRONG, town_hall)[1] > 0
    user, wait = store.login("ole", STRONG, town_hall)
    assert wait == 0 and user is not None and user.username == "ole"


@pytest.mark.slow  # waits out the throttle
def test_an_address_has_a_higher_ceiling_then_locks(store: Access) -> None:
    sprayer = "203.0.113.66"
    for i in range(store.throttle.address_failures):  # one guess each at many accounts
        assert store.login(f"user{i}", "Password123!", sprayer)[1] == 0
    user, wait = store.login("ole", STRONG, sprayer)
    assert user is None and wait == pytest.approx(store.throttle.window, abs=2)
    assert store.login("ole", STRONG, "192.0.2.11")[0] is not None  # from elsewhere, fine


def test_the_back_off_grows_with_each_failure(store: Access, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(logins_module.time, "time", lambda: clock[0])
    waits = []
    for _ in range(9):
        user, wait = store.login("mette", "still wrong!!", None)
        assert user is None and wait == 0  # evaluated: the previous lock was waited out
        with sqlite3.connect(store.path) as con:
            (until,) = con.execute("SELECT locked_until FROM attempts WHERE key = 'mette'").fetchone()
        waits.append(round(max(0.0, until - clock[0])))
        if waits[-1]:
            assert store.login("mette", STRONG, None)[1] == pytest.approx(waits[-1], abs=1)  # locked
        clock[0] += waits[-1] + 0.5  # wait out the lock
    t = store.throttle
    assert waits[: t.account_failures - 1] == [0] * (t.account_failures - 1)
    assert waits[t.account_failures - 1 :] == [30, 60, 120, 240, 480]  # doubling from 30 s
    assert t.lock_seconds("account", 20) == t.window  # capped at the window


def test_an_admin_unlocks_a_user(tmp_path: Path, store: Access) -> None:
    for _ in range(5):
        store.login("mette", "wrong password!", None)
    assert store.login("mette", STRONG, None)[1] > 0
    assert any(r["key"] == "mette" for r in store.locked())
    unlocked = CliRunner().invoke(
        cli, ["users", "unlock", "mette", "--db", str(tmp_path / "x.duckdb"), "--access-db", str(store.path)]
    )
    assert unlocked.exit_code == 0 and "låst op" in unlocked.output
    user, wait = store.login("mette", STRONG, None)
    assert wait == 0 and user is not None
    assert store.audit(5, "user-unlocked")[0]["username"].startswith("cli")  # type: ignore[union-attr]


# --- passwords ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaa", "12"),  # too short
        ("aaaaaaaaaaaaaaaa", "gætte"),  # long, but a repeat
        ("mette.hansen2024", "brugernavnet"),  # contains the user name
        ("Velkommen12345", "gætte"),  # a Danish word and digits
        ("Password123456", "gætte"),
        ("qwertyuiop1234", "gætte"),
    ],
)
def test_weak_passwords_are_refused(tmp_path: Path, password: str, why: str) -> None:
    store = Access(tmp_path / "a.sqlite")
    with pytest.raises(ConfigError, match=why):
        store.add_user("mette.hansen", "staff", password)
    assert store.users() == []


def test_a_phrase_of_unrelated_words_is_accepted(tmp_path: Path) -> None:
    store = Access(tmp_path / "a.sqlite")
    store.add_user("mette.hansen", "staff", STRONG)
    assert store.login("mette.hansen", STRONG, None)[0] is not None


# --- revocation at once, across processes --------------------------------------------------------------


def test_removal_in_another_process_ends_sessions_and_tokens_at_once(
    tmp_path: Path, example_db: Path
) -> None:
    access_db = tmp_path / "access.sqlite"
    app = create_app(example_db, WebSettings(access_db=access_db))
    app.state.access.add_user("kim", "politician", STRONG)
    token = app.state.access.new_token("kim", "powerbi")
    client = TestClient(app, base_url="https://testserver")
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    assert (
        client.post("/login", data={"username": "kim", "password": STRONG, "csrf": csrf}).status_code == 200
    )
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me").status_code == 200  # remembered by the app now
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    removed = subprocess.run(
        [str(BSM), "users", "remove", "kim", "--db", str(example_db), "--access-db", str(access_db)],
        capture_output=True,
        text=True,
    )
    assert removed.returncode == 0, removed.stderr
    assert client.get("/api/v1/me").status_code == 401  # the next request, not 30 s later
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


def test_a_request_reads_the_generation_stamp_not_sqlite_and_still_sees_a_change_at_once(
    tmp_path: Path,
) -> None:
    """A busy server asks SQLite for the access generation only when the stamp beside the store
    has changed (or once a second); a change by another store on the same file is seen at once."""
    server, other = Access(tmp_path / "a.sqlite"), Access(tmp_path / "a.sqlite")
    server.add_user("kim", "politician", STRONG)
    token = server.new_token("kim", "powerbi")
    assert server.token_user(token) is not None
    start = server.generation()
    asked: list[str] = []
    server._local.con.set_trace_callback(asked.append)  # the connection the generation is read on
    for _ in range(200):
        assert server.generation() == start
    assert asked == []  # SQLite was not asked: 8 bytes of memory were compared
    other.revoke_token(other.tokens("kim")[0]["id"], actor="admin")
    assert server.generation() == start + 1 and asked == ["PRAGMA user_version"]
    assert server.token_user(token) is None  # forgotten at once, not 30 s later
    assert stat.S_IMODE(server.stamp_path.stat().st_mode) == 0o600


# --- tokens --------------------------------------------------------------------------------------------


def test_tokens_are_listed_revoked_and_expire(tmp_path: Path, example_db: Path) -> None:
    access_db = tmp_path / "access.sqlite"
    app = create_app(example_db, WebSettings(access_db=access_db))
    store: Access = app.state.access
    store.add_user("kim", "analyst", STRONG)
    store.add_user("boss", "admin", STRONG)
    powerbi, qgis = store.new_token("kim", "powerbi"), store.new_token("kim", "qgis", days=1)
    client = TestClient(app, base_url="https://testserver", headers={"Authorization": f"Bearer {powerbi}"})
    assert client.get("/api/v1/me").status_code == 200
    listed = client.get("/api/v1/tokens").json()
    assert [(t["label"], t["expired"]) for t in listed] == [("powerbi", False), ("qgis", False)]
    assert listed[0]["last_used"] is not None and listed[1]["last_used"] is None
    assert "bsm_" not in str(listed)  # never the token itself
    year = time.strptime(listed[0]["expires"][:10], "%Y-%m-%d")
    assert year.tm_year == time.gmtime().tm_year + 1 or year.tm_yday >= 365 - 1  # a year from now
    # the command line lists them too, and revokes at once
    args = ["--db", str(example_db), "--access-db", str(access_db)]
    shown = CliRunner().invoke(cli, ["users", "tokens", *args, "--user", "kim"], terminal_width=200)
    assert shown.exit_code == 0 and "powerbi" in shown.output and listed[1]["id"] in shown.output
    qgis_client = TestClient(app, base_url="https://testserver", headers={"Authorization": f"Bearer {qgis}"})
    assert qgis_client.get("/api/v1/me").status_code == 200
    assert CliRunner().invoke(cli, ["users", "revoke-token", listed[1]["id"], *args]).exit_code == 0
    assert qgis_client.get("/api/v1/me").status_code == 401
    # a user revokes only its own token over the API
    boss = store.new_token("boss", "admin")
    other = client.delete(f"/api/v1/tokens/{store.tokens('boss')[0]['id']}")
    assert other.status_code == 404
    assert client.delete(f"/api/v1/tokens/{listed[0]['id']}").json() == {"revoked": listed[0]["id"]}
    assert client.get("/api/v1/me").status_code == 401
    # an expired token is refused
    with sqlite3.connect(access_db) as con:
        con.execute("UPDATE tokens SET expires_at = ? WHERE username = 'boss'", (time.time() - 1,))
        con.execute("PRAGMA user_version = 1000")  # as a change made elsewhere would
    boss_client = TestClient(app, base_url="https://testserver", headers={"Authorization": f"Bearer {boss}"})
    assert boss_client.get("/api/v1/me").status_code == 401
    assert store.tokens("boss")[0]["expired"] is True
    events = [r["event"] for r in store.audit(100)]
    assert events.count("token-created") == 3 and events.count("token-revoked") == 2


# --- the audit log ---------------------------------------------------------------------------------------


def test_the_chain_verifies_and_shows_tampering(tmp_path: Path, store: Access) -> None:
    for i in range(5):
        store.log("export", "mette", f"csv omraade/{i}", "192.0.2.1", role="analyst")
    verdict = store.verify()
    assert verdict.ok and verdict.records == 2 + 5  # two users added, five exports
    args = ["audit", "--db", str(tmp_path / "x.duckdb"), "--access-db", str(store.path)]
    ok = CliRunner().invoke(cli, [*args, "--verify"], terminal_width=200)
    assert ok.exit_code == 0 and verdict.head in ok.output
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE audit SET target = 'csv omraade/harmless' WHERE id = 4")
    changed = store.verify()
    assert not changed.ok and "record 4 was changed" in str(changed.problem)
    bad = CliRunner().invoke(cli, [*args, "--verify"], terminal_width=200)
    assert bad.exit_code == 1 and "record 4" in bad.output


def test_a_removed_record_shows_and_retention_does_not(tmp_path: Path, store: Access) -> None:
    for i in range(4):
        store.log("read", "mette", f"values {i}")
    with sqlite3.connect(store.path) as con:
        con.execute("DELETE FROM audit WHERE id = 3")
    assert "records 3–3 are missing" in str(store.verify().problem)
    fresh = Access(tmp_path / "b.sqlite", retention_days=30)
    for i in range(6):
        fresh.log("read", "ole", f"values {i}")
    with sqlite3.connect(fresh.path) as con:  # the first three are two months old
        con.execute("UPDATE audit SET at = '2020-01-01T00:00:00.000000Z' WHERE id <= 3")
        # re-chain them as they were written then (a test of retention, not of tampering)
        rows = con.execute("SELECT id, at, username, role, event, target, ip, detail FROM audit ORDER BY id")
        previous = "0" * 64
        from boligsocial.publish.access.auditlog import FIELDS, record_hash

        for r in rows.fetchall():
            digest = record_hash(previous, dict(zip(FIELDS, r, strict=True)))
            con.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", (previous, digest, r[0]))
            previous = digest
    assert fresh.verify().ok
    assert fresh.apply_retention() == 3
    kept = fresh.audit(100)
    assert kept[0]["event"] == "retention" and len(kept) == 4
    assert fresh.verify().ok  # a prefix removed by retention is not tampering
    with sqlite3.connect(fresh.path) as con:
        con.execute("DELETE FROM audit WHERE id = 4")
    assert not fresh.verify().ok


def test_the_log_cannot_be_forged_through_the_login_form(tmp_path: Path, example_db: Path) -> None:
    access_db = tmp_path / "access.sqlite"
    app = create_app(example_db, WebSettings(access_db=access_db))
    client = TestClient(app, base_url="https://testserver")
    forged = "[bold green]x[/]\n2026-12-02T08:00:00Z  admin  admin  login"
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": forged, "password": "whatever it is", "csrf": csrf})
    shown = CliRunner().invoke(
        cli, ["audit", "--db", str(example_db), "--access-db", str(access_db)], terminal_width=250
    )
    assert shown.exit_code == 0
    assert "[bold" in shown.output  # markup shown as text, not applied
    assert not any(line.lstrip("│ ").startswith("2026-12-02T08:00:00Z") for line in shown.output.splitlines())
    as_csv = CliRunner().invoke(
        cli, ["audit", "--db", str(example_db), "--access-db", str(access_db), "--format", "csv"]
    )
    assert as_csv.output.count("login-failed") == 1
    # the newline escaped: the whole forged text on the one line of the one record
    (line,) = [row for row in as_csv.output.splitlines() if "login-failed" in row]
    assert "[bold green]x[/]\\n2026-12-02T08:00:00Z  admin  admin  login" in line


def test_cli_changes_are_audited_with_iso_times_and_filters(tmp_path: Path, example_db: Path) -> None:
    access_db = tmp_path / "access.sqlite"
    args = ["--db", str(example_db), "--access-db", str(access_db)]
    runner = CliRunner()
    pw = f"{STRONG}\n{STRONG}\n"
    assert runner.invoke(cli, ["users", "add", "kim", *args, "--role", "staff"], input=pw).exit_code == 0
    assert runner.invoke(cli, ["users", "set-role", "kim", *args, "--role", "analyst"]).exit_code == 0
    assert runner.invoke(cli, ["users", "token", "kim", *args, "--label", "powerbi"]).exit_code == 0
    assert runner.invoke(cli, ["users", "remove", "kim", *args]).exit_code == 0
    store = Access(access_db)
    records = store.audit(100)
    assert [r["event"] for r in reversed(records)] == [
        "user-added",
        "role-changed",
        "token-created",
        "user-removed",
    ]
    assert all(str(r["username"]).startswith("cli") for r in records if r["event"] != "token-created")
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", str(r["at"])) for r in records)
    assert records[2]["detail"] == {"role": "analyst", "organisation": None}
    only = runner.invoke(cli, ["audit", *args, "--event", "role-changed", "--format", "json"])
    assert only.exit_code == 0 and only.output.count('"event"') == 1
    future = runner.invoke(cli, ["audit", *args, "--since", "2999-01-01", "--format", "csv"])
    assert future.output.strip().count("\n") == 0  # the header only
    assert store.verify().ok


def test_an_old_access_file_is_migrated_and_chained(tmp_path: Path) -> None:
    """A file of the first version: float times, no hashes, tokens without ids or expiry."""
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript(
            """CREATE TABLE users (username TEXT PRIMARY KEY, role TEXT NOT NULL, organisation TEXT,
               password_hash TEXT NOT NULL, created_at REAL NOT NULL);
               CREATE TABLE tokens (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, label TEXT,
               created_at REAL NOT NULL, last_used REAL);
               CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, username TEXT,
               event TEXT NOT NULL, target TEXT, ip TEXT);"""
        )
        con.execute("INSERT INTO users VALUES ('kim', 'staff', NULL, 'x', 0)")
        con.execute("INSERT INTO tokens VALUES ('h', 'kim', 'old', ?, NULL)", (time.time(),))
        con.execute("INSERT INTO audit (at, username, event) VALUES (1764000000.5, 'kim', 'login')")
    os.chmod(path, 0o644)
    store = Access(path)
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)
    assert store.audit(5)[0]["at"] == "2025-11-24T16:00:00.500000Z"
    assert store.verify().ok
    (token,) = store.tokens()
    assert token["id"] and token["expired"] is False


def test_throttle_settings_reach_the_store(tmp_path: Path, example_db: Path) -> None:
    settings = WebSettings(
        access_db=tmp_path / "a.sqlite", throttle_failures=2, throttle_address_failures=7, throttle_seconds=60
    )
    store: Access = create_app(example_db, settings).state.access
    assert store.throttle == Throttle(account_failures=2, address_failures=7, window=60.0)


def test_what_the_command_line_publishes_is_audited(tmp_path: Path, example_db: Path) -> None:
    db = example_copy(example_db, tmp_path)  # its own audit log beside it
    runner = CliRunner()
    out = tmp_path / "omraader.csv"
    assert (
        runner.invoke(cli, ["export", "--db", str(db), "--format", "csv", "--out", str(out)]).exit_code == 0
    )
    listed = runner.invoke(cli, ["lists", "--db", str(db), "--audience", "politician", "--format", "csv"])
    assert listed.exit_code == 0
    assert (
        runner.invoke(cli, ["lists", "--db", str(db), "--format", "csv"]).exit_code == 0
    )  # the operator's own
    records = Access(db.with_name(db.name + ".access.sqlite")).audit(10)
    assert [(r["event"], r["target"]) for r in records] == [
        ("export", "lists omraade/alle for politician"),
        ("export", "csv omraade/alle/- for staff"),
    ]
    assert records[1]["detail"] == {"files": [str(out)]} and str(records[0]["username"]).startswith("cli")
