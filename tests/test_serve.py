"""Every `bsm serve` setting reaches the app: each option, and its `BSM_…` environment variable, is
given to a real `bsm serve` process and its effect is observed over HTTP; bad values stop the start
with a clear message instead of a traceback.

The database is a hand-built delivery of two areas with 150 residents each (five of every age from
0 to 29, so 90 aged 0–17), large enough that the shipped policy shows politicians their figures:
no age band, and no difference of two (the 17-year-olds), is a small count.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from boligsocial.outputs.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from boligsocial.publish.access import Access, default_access_path
from builders import SmallDelivery, person

pytestmark = pytest.mark.slow  # starts real bsm serve processes

BSM = Path(sys.executable).parent / "bsm"  # `python -m boligsocial.outputs.cli` has no __main__
CHILDREN = "/api/v1/layers/omraade/values?indicator=children_0_17"
RESIDENTS, CHILDREN_PER_AREA = 150, 90  # ages k % 30 for k < 150: five of each age, 18 ages 0–17
STRICT = "[default]\nmin_area_population = 100000\n"
SHIPPED = "[default]\nmin_area_population = 100\n"  # the shipped value, given explicitly
BASEMAP = (
    "https://wms.kommune.example/wms?service=WMS&request=GetMap&bbox={bbox}&width={width}&height={height}"
)
OTHER_BASEMAP = "https://kort.andet.example/wms?bbox={bbox}&width={width}&height={height}"
PASSWORD = "password-politiker"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two omraade areas of 150 residents each, loaded once for the module."""
    from boligsocial.pipeline import load

    root = tmp_path_factory.mktemp("serve")
    d = SmallDelivery()
    d.persons = [
        person(year, f"{address}-{k}", address, f"{year - k % 30}-06-01")
        for year in (2020, 2021)
        for address in ("adr-a1", "adr-b1")
        for k in range(RESIDENTS)
    ]
    db = root / "bsm.duckdb"
    load(d.write(root / "delivery"), db, root / "pseudonym.key")
    return db


@dataclass
class Installation:
    """A copy of the database in its own folder, and a politician in an access file."""

    db: Path
    token: str

    @property
    def default_access(self) -> Path:
        return default_access_path(self.db)


def installation(database: Path, folder: Path, access_db: Path | None = None) -> Installation:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "bsm.duckdb"
    shutil.copy(database, db)
    store = Access(access_db or default_access_path(db))
    store.add_user("politiker", "politician", PASSWORD, weak_password_ok=True)
    return Installation(db, store.new_token("politiker", "tests"))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def clean_env(**variables: str) -> dict[str, str]:
    """The test's environment without any BSM_… variable of the shell, plus these."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("BSM_")}, **variables}


@contextmanager
def serving(args: list[str], env: Mapping[str, str], url: str, log: Path) -> Iterator[str]:
    """Run `bsm serve ARGS` until it answers at `url`; end it afterwards."""
    with log.open("wb") as out:
        proc = subprocess.Popen([str(BSM), "serve", *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"bsm serve ended ({proc.returncode}): {log.read_text()}")
            try:
                if httpx.get(url + "/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"bsm serve did not answer at {url}: {log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def children(url: str, token: str) -> list[dict]:
    response = httpx.get(url + CHILDREN, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    areas: list[dict] = response.json()["areas"]
    assert len(areas) == 2
    return areas


def login_cookie(url: str) -> str:
    """The Set-Cookie of the session after a successful login (the login form's double-submit
    token sent back by hand: httpx sends no Secure cookie over http)."""
    form = httpx.get(url + "/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    assert form.cookies[LOGIN_CSRF_COOKIE] == csrf
    response = httpx.post(
        url + "/login",
        data={"username": "politiker", "password": PASSWORD, "csrf": csrf},
        headers={"Cookie": f"{LOGIN_CSRF_COOKIE}={csrf}"},
    )
    assert response.status_code == 303, response.text
    (cookie,) = [c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")]
    return cookie


def attributes(cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def img_src(response: httpx.Response) -> str:
    csp = response.headers["content-security-policy"]
    return next(p for p in csp.split(";") if p.strip().startswith("img-src"))


def refused(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) != 0


# --- the defaults ----------------------------------------------------------------------------------


def test_without_options_the_defaults_apply(database: Path, tmp_path: Path) -> None:
    inst = installation(database, tmp_path / "plain")
    port = free_port()
    with serving(
        ["--db", str(inst.db), "--port", str(port)], clean_env(), f"http://127.0.0.1:{port}", tmp_path / "log"
    ) as url:
        # the shipped policy: areas of 150 residents show their figures to a politician
        areas = children(url, inst.token)  # the token is in the default <db>.access.sqlite
        assert [(a["state"], a["value"]) for a in areas] == [("ok", CHILDREN_PER_AREA)] * 2
        me = httpx.get(url + "/api/v1/me")  # no public view
        assert me.status_code == 401 and me.json()["error"]["code"] == "login-required"
        assert {"secure", "httponly", "samesite"} <= attributes(login_cookie(url))
        page = httpx.get(url + "/login")
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        assert img_src(page).split() == ["img-src", "'self'", "data:", "blob:"]  # no base map
    assert inst.default_access.is_file()


# --- every option, on the command line or in the environment -----------------------------------------


@pytest.mark.parametrize("given", ["options", "environment"])
def test_every_setting_reaches_the_app(database: Path, tmp_path: Path, given: str) -> None:
    users = tmp_path / "elsewhere" / "users.sqlite"
    inst = installation(database, tmp_path / "inst", access_db=users)
    policy = tmp_path / "strict.toml"
    policy.write_text(STRICT, encoding="utf-8")
    host = "127.0.0.2"  # another loopback address: it must listen there, not on 127.0.0.1
    port = free_port(host)
    settings = {
        "db": str(inst.db),
        "host": host,
        "port": str(port),
        "policy": str(policy),
        "anonymous": "public",
        "access-db": str(users),
        "basemap-url": BASEMAP,
    }
    if given == "options":
        args = [f"--{k}={v}" for k, v in settings.items()] + ["--insecure-cookies"]
        env = clean_env()
    else:
        args = []
        env = clean_env(
            **{"BSM_" + k.upper().replace("-", "_"): v for k, v in settings.items()},
            BSM_SECURE_COOKIES="false",
        )
    with serving(args, env, f"http://{host}:{port}", tmp_path / "log") as url:
        # --policy: the installation's stricter policy is what the politician reads with
        areas = children(url, inst.token)  # --access-db: the token is in the given file
        assert {(a["state"], a.get("reason"), a["value"]) for a in areas} == {
            ("suppressed", "area-small", None)
        }
        # --anonymous public
        me = httpx.get(url + "/api/v1/me")
        assert me.status_code == 200
        assert (me.json()["role"], me.json()["policy"]) == ("anonymous", "public")
        # --insecure-cookies: no Secure attribute, no HSTS
        cookie = login_cookie(url)
        assert "secure" not in attributes(cookie) and "httponly" in attributes(cookie)
        page = httpx.get(url + "/login")
        assert "strict-transport-security" not in page.headers
        # --basemap-url: the CSP lets the map load its images from that host only
        assert "https://wms.kommune.example" in img_src(page).split()
        # --host/--port
        assert refused("127.0.0.1", port)
    assert users.is_file() and not inst.default_access.exists()


def test_an_option_overrides_its_environment_variable(database: Path, tmp_path: Path) -> None:
    users = tmp_path / "users.sqlite"
    inst = installation(database, tmp_path / "inst", access_db=users)
    strict, shipped = tmp_path / "strict.toml", tmp_path / "shipped.toml"
    strict.write_text(STRICT, encoding="utf-8")
    shipped.write_text(SHIPPED, encoding="utf-8")
    port, other_port = free_port(), free_port()
    env = clean_env(
        BSM_DB=str(tmp_path / "missing.duckdb"),
        BSM_HOST="127.0.0.3",
        BSM_PORT=str(other_port),
        BSM_POLICY=str(strict),
        BSM_ANONYMOUS="public",
        BSM_SECURE_COOKIES="false",
        BSM_ACCESS_DB=str(tmp_path / "other.sqlite"),
        BSM_BASEMAP_URL=OTHER_BASEMAP,
    )
    args = [
        *("--db", str(inst.db), "--host", "127.0.0.1", "--port", str(port)),
        *("--policy", str(shipped), "--anonymous", "off", "--secure-cookies"),
        *("--access-db", str(users), "--basemap-url", BASEMAP),
    ]
    with serving(args, env, f"http://127.0.0.1:{port}", tmp_path / "log") as url:
        assert [a["state"] for a in children(url, inst.token)] == ["ok", "ok"]
        assert httpx.get(url + "/api/v1/me").status_code == 401
        assert "secure" in attributes(login_cookie(url))
        page = httpx.get(url + "/login")
        assert "strict-transport-security" in page.headers
        assert "https://wms.kommune.example" in img_src(page).split()
        assert "https://kort.andet.example" not in img_src(page)
        assert refused("127.0.0.3", other_port)
    assert not (tmp_path / "other.sqlite").exists()


# --- bad settings stop the start ---------------------------------------------------------------------

BROKEN = "[default\nmin_area_population = 100000\n"
UNKNOWN_KEY = "[default]\nmin_area_populaton = 100000\n"


ANONYMOUS_X = (
    "ukendt værdi for --anonymous / unknown value for --anonymous: 'x' (tilladt/allowed: off, public)"
)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        pytest.param(["--anonymous", "x"], {}, ANONYMOUS_X, id="anonymous"),
        pytest.param(
            [],
            {"BSM_ANONYMOUS": "everyone"},
            "unknown value for BSM_ANONYMOUS: 'everyone' (tilladt/allowed: off, public)",
            id="BSM_ANONYMOUS",
        ),
        pytest.param(
            ["--policy", "{tmp}/broken.toml"],
            {},
            "ugyldig diskretionspolitik i --policy / invalid disclosure policy in --policy: "
            "broken.toml: ikke gyldig TOML / not valid TOML",
            id="policy-not-toml",
        ),
        pytest.param(
            [],
            {"BSM_POLICY": "{tmp}/unknown.toml"},
            "invalid disclosure policy in BSM_POLICY: fejl i diskretionspolitikken / disclosure policy "
            "problems: unknown.toml: default.min_area_populaton: ukendt nøgle / unknown key; "
            "mente du 'min_area_population'? / did you mean 'min_area_population'?",
            id="BSM_POLICY-unknown-key",
        ),
        pytest.param(
            ["--policy", "{tmp}/missing.toml"],
            {},
            "no file at --policy (missing or a directory)",
            id="policy-missing",
        ),
        pytest.param(
            [],
            {"BSM_PORT": "http"},
            "invalid value for BSM_PORT: 'http' (tilladt/allowed: 1–65535)",
            id="BSM_PORT",
        ),
        pytest.param(
            ["--port", "0"], {}, "invalid value for --port: 0 (tilladt/allowed: 1–65535)", id="port"
        ),
        pytest.param(
            [],
            {"BSM_SECURE_COOKIES": "maybe"},
            "invalid value for BSM_SECURE_COOKIES: 'maybe'",
            id="BSM_SECURE_COOKIES",
        ),
        pytest.param(
            ["--basemap-url", "wms.example/{bbox}"], {}, "invalid value for --basemap-url", id="basemap-url"
        ),
        pytest.param(
            ["--no-db"],
            {"BSM_DB": ""},  # an empty variable counts as unset
            "--db mangler (eller BSM_DB) / --db is missing (or BSM_DB)",
            id="no-db",
        ),
    ],
)
def test_a_bad_setting_stops_the_start_with_a_clear_message(
    database: Path, tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    (tmp_path / "broken.toml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "unknown.toml").write_text(UNKNOWN_KEY, encoding="utf-8")
    port = free_port()  # where it would listen if it started after all
    db = [] if args == ["--no-db"] else ["--db", str(database)]
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args if a != "--no-db"]
    variables = {k: v.replace("{tmp}", str(tmp_path)) for k, v in {"BSM_PORT": str(port), **env}.items()}
    result = subprocess.run(
        [str(BSM), "serve", *db, *argv],
        env=clean_env(**variables),
        capture_output=True,
        text=True,
        timeout=30,
    )
    output = " ".join((result.stdout + result.stderr).split())  # the console wraps long lines
    assert result.returncode == 1, output
    assert output.startswith("Fejl: ") and message in output
    assert "Traceback" not in output and refused("127.0.0.1", port)


# --- trusted proxies --------------------------------------------------------------------------------


def _failed_login_from(url: str, forwarded: str) -> None:
    form = httpx.get(url + "/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    response = httpx.post(
        url + "/login",
        data={"username": "politiker", "password": "not the password", "csrf": csrf},
        headers={"Cookie": f"{LOGIN_CSRF_COOKIE}={csrf}", "X-Forwarded-For": forwarded},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("how", "seen"),
    [
        ("default", "127.0.0.1"),  # uvicorn alone would believe the header from 127.0.0.1
        ("option", "203.0.113.9"),
        ("environment", "203.0.113.9"),
    ],
)
def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
    database: Path, tmp_path: Path, how: str, seen: str
) -> None:
    inst = installation(database, tmp_path / "inst")
    port = free_port()
    args = ["--db", str(inst.db), "--port", str(port), "--insecure-cookies"]
    env = clean_env()
    if how == "option":
        args += ["--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.0.0.0/8"]
    elif how == "environment":
        env = clean_env(BSM_TRUSTED_PROXIES="10.1.2.3,127.0.0.0/8")
    with serving(args, env, f"http://127.0.0.1:{port}", tmp_path / "log") as url:
        _failed_login_from(url, "203.0.113.9")
    (record,) = Access(inst.default_access).audit(10, "login-failed")
    assert record["ip"] == seen


def test_a_bad_trusted_proxy_stops_the_start(database: Path, tmp_path: Path) -> None:
    inst = installation(database, tmp_path / "inst")
    result = subprocess.run(
        [str(BSM), "serve", "--db", str(inst.db), "--trusted-proxy", "the-proxy"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert result.returncode == 1 and "--trusted-proxy" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("how", "kept"),
    [("option", False), ("environment", False), ("longer", True)],
)
def test_audit_records_older_than_the_retention_are_removed_at_start(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, kept: bool
) -> None:
    folder = tmp_path / "inst"
    folder.mkdir()
    old = Access(default_access_path(folder / "bsm.duckdb"))
    written_at = time.time() - 40 * 86400  # records really written 40 days ago, chain and all
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: written_at)
        for n in range(3):
            old.log("login-failed", f"gammel-{n}", None, "192.0.2.1")
    inst = installation(database, folder)
    before = len(Access(inst.default_access).audit(100))
    port = free_port()
    args = ["--db", str(inst.db), "--port", str(port)]
    env = clean_env()
    if how == "option":
        args += ["--audit-retention-days", "30"]
    elif how == "environment":
        env = clean_env(BSM_AUDIT_RETENTION_DAYS="30")
    else:
        args += ["--audit-retention-days", "41"]
    with serving(args, env, f"http://127.0.0.1:{port}", tmp_path / "log"):
        pass
    store = Access(inst.default_access)
    left = {r["username"] for r in store.audit(100, "login-failed")}
    retention = store.audit(10, "retention")
    if kept:
        assert left == {"gammel-0", "gammel-1", "gammel-2"} and not retention
    else:
        assert not left & {"gammel-0", "gammel-1", "gammel-2"}
        (record,) = retention
        assert record["detail"]["removed"] == 3
        assert len(store.audit(100)) >= before - 3 + 1  # the newer records stay, with the removal's
    assert store.verify().ok  # a removal by retention is not tampering
