"""Shared fixtures: the small hand-built delivery and a per-test key file."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from builders import SmallDelivery


@pytest.fixture
def small() -> SmallDelivery:
    return SmallDelivery()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "secret" / "pseudonym.key"


@pytest.fixture(scope="session")
def example_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example municipality at a tenth of its size, generated and loaded once per test run:
    under pytest-xdist the first worker builds it in the run's shared folder and every worker
    takes its own copy of the database (tests write beside it), reading the delivery in place."""
    from boligsocial.example import generate
    from boligsocial.pipeline import load

    base = tmp_path_factory.getbasetemp()  # a worker's is inside the run's own folder
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "example-shared"
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "done").exists():
            generate(shared / "delivery", seed=42, scale=0.1)
            load(shared / "delivery", shared / "bsm.duckdb", shared / "pseudonym.key")
            (shared / "done").touch()
    root = tmp_path_factory.mktemp("example")
    (root / "delivery").symlink_to(shared / "delivery", target_is_directory=True)
    for name in ("bsm.duckdb", "pseudonym.key"):
        shutil.copy2(shared / name, root / name)
    return root / "bsm.duckdb"


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
