"""The protections are kept beside the database and made elsewhere than the server's event loop:
built once for every process that serves the file, trusted only when nobody else could have
written them, removed by the next load; exports are made in a process of their own."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
from pathlib import Path

import httpx
import pytest

import boligsocial.publish.service.keeping as keeping
from boligsocial.common.files import kept_dir
from boligsocial.outputs.web import create_app, prepare
from boligsocial.outputs.web.settings import WebSettings
from boligsocial.pipeline import load
from boligsocial.publish import disclosure as dc
from boligsocial.publish.service import Service
from boligsocial.publish.service.protection import Protections

pytestmark = pytest.mark.slow  # builds protections and starts export processes

STRONG = "blæksprutte cykler langsomt til Tønder"
DEFAULT = dc.load_policies()["default"]


@pytest.fixture
def db(tmp_path: Path, example_db: Path) -> Path:
    """A copy of the example database of its own (its kept files are this test's)."""
    copy = tmp_path / "bsm.duckdb"
    shutil.copyfile(example_db, copy)
    return copy


def ask(app: object, token: str, path: str, params: dict[str, str] | None = None) -> httpx.Response:
    """One GET to the app in this process, with an API token."""

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="https://t", headers=headers) as c:
            return await c.get(path, params=params, timeout=600)

    return asyncio.run(run())


def no_building(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make building a protection in this process fail loudly; what was tried is listed."""
    tried: list[str] = []

    def refuse(self: Protections, policy: dc.Policy) -> object:
        tried.append(policy.name)
        raise AssertionError("built in this process")

    monkeypatch.setattr(Protections, "of", refuse)
    keeping.BUILT.clear()  # forget what this process made before
    return tried


def test_a_protection_is_kept_privately_and_read_back_instead_of_built_again(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Service(db).protection(DEFAULT)
    assert first is not None
    folder = kept_dir(db)
    kept = sorted(folder.glob("areas-default-*.pickle"))
    assert len(kept) == 1
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(kept[0].stat().st_mode) == 0o600

    tried = no_building(monkeypatch)
    again = Service(db).protection(DEFAULT)
    assert tried == [] and again is not None
    assert again.years.keys() == first.years.keys()
    year = max(first.years)
    assert {s: v.tolist() for s, v in again.years[year].publishable.items()} == {
        s: v.tolist() for s, v in first.years[year].publishable.items()
    }


def test_a_kept_file_others_could_have_written_is_not_trusted(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Service(db).protection(DEFAULT)
    (kept,) = kept_dir(db).glob("areas-default-*.pickle")
    os.chmod(kept, 0o666)  # a pickle runs code when read: one anybody may write is not read
    tried = no_building(monkeypatch)
    with pytest.raises(AssertionError, match="built in this process"):
        Service(db).protection(DEFAULT)
    assert tried == ["default"]


def test_a_load_removes_what_was_kept_for_the_old_data(tmp_path: Path) -> None:
    from boligsocial.example import generate

    generate(tmp_path / "delivery", seed=7, scale=0.02)
    db, key = tmp_path / "bsm.duckdb", tmp_path / "pseudonym.key"
    load(tmp_path / "delivery", db, key)
    Service(db).protection(DEFAULT)
    assert list(kept_dir(db).glob("*.pickle"))
    load(tmp_path / "delivery", db, key)
    assert list(kept_dir(db).glob("*.pickle")) == []


def test_the_server_builds_its_protections_in_another_process(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried = no_building(monkeypatch)
    app = create_app(db, WebSettings(access_db=db.with_name("a.sqlite")))
    prepare(app).join(timeout=600)
    assert tried == []
    kept = {p.name.split("-")[0] for p in kept_dir(db).glob("*-default-*.pickle")}
    assert kept == {"areas", "moves"}
    app.state.access.add_user("kim", "staff", STRONG)
    answer = ask(app, app.state.access.new_token("kim", "t"), "/api/v1/moves/flows")
    assert answer.status_code == 200 and tried == []


def test_an_export_is_made_in_a_process_of_its_own(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from boligsocial.outputs.export import published

    made_here: list[str] = []
    real = published.Publication.of

    def here(*args: object, **kwargs: object) -> published.Publication:
        made_here.append("yes")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(published.Publication, "of", here)
    app = create_app(db, WebSettings(access_db=db.with_name("a.sqlite")))
    app.state.access.add_user("kim", "analyst", STRONG)
    token = app.state.access.new_token("kim", "t")
    answer = ask(app, token, "/api/v1/export/xlsx", {"audience": "staff"})
    app.state.exports.close()
    assert answer.status_code == 200 and answer.content[:2] == b"PK"
    assert made_here == []  # the server's process never made the publication


@pytest.mark.parametrize("workers", [1, 2])
def test_export_workers_sets_how_many_processes_make_files_at_once(
    db: Path, tmp_path: Path, workers: int
) -> None:
    app = create_app(db, WebSettings(access_db=tmp_path / "a.sqlite", export_workers=workers))
    tokens = []
    for name in ("kim", "ida"):
        app.state.access.add_user(name, "analyst", STRONG)
        tokens.append(app.state.access.new_token(name, "t"))

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        clients = [
            httpx.AsyncClient(
                transport=transport, base_url="https://t", headers={"Authorization": f"Bearer {t}"}
            )
            for t in tokens
        ]
        try:  # two users' files asked for at the same moment
            return list(
                await asyncio.gather(
                    *(c.get("/api/v1/export/csv", params={"year": "2020"}, timeout=600) for c in clients)
                )
            )
        finally:
            for c in clients:
                await c.aclose()

    answers = asyncio.run(run())
    pool = app.state.exports._pool
    made_by = len(pool._processes)
    app.state.exports.close()
    assert [a.status_code for a in answers] == [200, 200]
    assert made_by == workers


def test_a_server_that_stops_leaves_no_export_files_behind(db: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    app = create_app(db, WebSettings(access_db=tmp_path / "a.sqlite"))
    app.state.access.add_user("kim", "analyst", STRONG)
    token = app.state.access.new_token("kim", "t")
    folder = app.state.exports._dir
    with TestClient(app, base_url="https://t", headers={"Authorization": f"Bearer {token}"}) as c:
        answer = c.get("/api/v1/export/csv", params={"year": "2020"})
        assert answer.status_code == 200
        assert any(folder.rglob("export.csv"))  # kept for its owner while the server runs
    assert not folder.exists()  # the server's shutdown removed it


def test_an_export_process_that_dies_fails_its_job_and_the_next_export_works(
    db: Path, tmp_path: Path
) -> None:
    import signal
    import time

    app = create_app(db, WebSettings(access_db=tmp_path / "a.sqlite"))
    app.state.access.add_user("kim", "analyst", STRONG)
    token = app.state.access.new_token("kim", "t")
    jobs = app.state.exports

    async def run() -> tuple[dict[str, object], httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="https://t", headers=headers) as c:
            job = (await c.post("/api/v1/exports", params={"fmt": "pdf"})).json()
            for _ in range(600):  # until the export process has begun it
                if (await c.get(job["status_url"])).json()["state"] == "running":
                    break
                await asyncio.sleep(0.05)
            for pid in list(jobs._pool._processes):  # the export process is killed (OOM, kill -9)
                os.kill(pid, signal.SIGKILL)
            for _ in range(600):
                status = (await c.get(job["status_url"])).json()
                if status["state"] != "running":
                    break
                await asyncio.sleep(0.05)
            time.sleep(0.5)
            again = await c.get("/api/v1/export/csv", params={"year": "2020"}, timeout=600)
            return status, again

    status, again = asyncio.run(run())
    jobs.close()
    assert status["state"] == "failed" and status["error"]["code"] == "export-failed"
    assert again.status_code == 200 and again.content  # a new export process made it
