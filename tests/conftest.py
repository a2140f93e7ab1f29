"""Shared fixtures: the small hand-built delivery, a per-test key file, and the databases built
once per test run (the small delivery loaded, the example municipality)."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from builders import SmallDelivery


@pytest.fixture
def small() -> SmallDelivery:
    return SmallDelivery()


#: Where a test's key file is, under its folder.
KEY = "secret/pseudonym.key"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / KEY


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder `name` in the run's shared folder, made by `build` once per test run: under
    pytest-xdist the first worker to ask builds it and the others wait for it (a lock)."""
    base = tmp_path_factory.getbasetemp()  # a worker's is inside the run's own folder
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "done").exists():
            build(shared)
            (shared / "done").touch()
    return shared


@pytest.fixture(scope="session")
def small_loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small hand-built delivery as it is (`SmallDelivery()`) loaded once per test run: a folder
    with `delivery/`, `bsm.duckdb` and its key `secret/pseudonym.key`. Tests that only read the
    database read it there; a test that goes on from it takes a copy (`small_copy`)."""
    from boligsocial.pipeline import load

    def build(folder: Path) -> None:
        load(SmallDelivery().write(folder / "delivery"), folder / "bsm.duckdb", folder / KEY)

    return once_per_run(tmp_path_factory, "small-shared", build)


def small_copy(small_loaded: Path, folder: Path) -> tuple[Path, Path]:
    """A copy of the loaded small delivery's database and key in `folder` (where a test would have
    loaded it: `bsm.duckdb`, and the key where `key_file` is): (database, key)."""
    (folder / KEY).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in ("bsm.duckdb", KEY):
        shutil.copy2(small_loaded / name, folder / name)
    return folder / "bsm.duckdb", folder / KEY


@pytest.fixture(scope="session")
def example_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example municipality at a tenth of its size, generated and loaded once per test run
    (`once_per_run`); every worker takes its own copy of the database (tests write beside it),
    reading the delivery in place and sharing the protections kept for it (`example_copy`)."""
    from boligsocial.common.files import kept_dir
    from boligsocial.example import generate
    from boligsocial.pipeline import load

    def build(folder: Path) -> None:
        generate(folder / "delivery", seed=42, scale=0.1)
        load(folder / "delivery", folder / "bsm.duckdb", folder / "pseudonym.key")

    shared = once_per_run(tmp_path_factory, "example-shared", build)
    # The protections kept beside a database (minutes of CPU) are named after the file's version
    # (its modification time), not its path: every worker's copy shares the one folder, so each is
    # built once per run and the other worker waits for that build (the lock of a kept file) and
    # reads it, as a server's processes do. A copy a test changes is another version: its own.
    kept_dir(shared / "bsm.duckdb").mkdir(mode=0o700, exist_ok=True)
    root = tmp_path_factory.mktemp("example")
    (root / "delivery").symlink_to(shared / "delivery", target_is_directory=True)
    shutil.copy2(shared / "pseudonym.key", root / "pseudonym.key")
    return example_copy(shared / "bsm.duckdb", root)


def example_copy(example_db: Path, folder: Path) -> Path:
    """A copy of the example database in `folder`, a test's own (the access store and audit log a
    command writes beside it are that test's alone): the same data and version (modification
    time) as `example_db`, so it reads the protections the run keeps for it instead of building
    them again."""
    from boligsocial.common.files import kept_dir

    copy = folder / "bsm.duckdb"
    shutil.copy2(example_db, copy)
    kept_dir(copy).symlink_to(kept_dir(example_db).resolve(), target_is_directory=True)
    return copy


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the browser tests left their screenshots."""
    shots = Path(__file__).parent.parent / "test-artifacts" / "screenshots"
    if shots.is_dir() and any(shots.iterdir()):
        terminalreporter.write_line(f"screenshots of the pages: {shots}")


ROLES = ("admin", "analyst", "staff", "politician", "housing_association")
HOUSING_ORG = "Fjordby Boligselskab"


@pytest.fixture(scope="session")
def web(example_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The app on the example database with one user and API token per role."""
    from boligsocial.outputs.web import create_app
    from boligsocial.outputs.web.settings import WebSettings

    access_db = tmp_path_factory.mktemp("access") / "access.sqlite"
    app = create_app(example_db, WebSettings(access_db=access_db))
    tokens = {}
    for role in ROLES:
        app.state.access.add_user(
            role,
            role,
            f"password-{role}",
            HOUSING_ORG if role == "housing_association" else None,
            weak_password_ok=True,
        )
        tokens[role] = app.state.access.new_token(role, "tests")
    return app, tokens


def client_for(web, role: str):  # type: ignore[no-untyped-def]
    """A test client that authenticates as `role` with its API token."""
    from fastapi.testclient import TestClient

    app, tokens = web
    return TestClient(app, base_url="https://testserver", headers={"Authorization": f"Bearer {tokens[role]}"})
