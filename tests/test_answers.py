"""The API under load and abuse: unknown parameters refused, the answer cache bounded by bytes
and keyed on what answers depend on, slow answers computed off the event loop, reads audited."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from boligsocial.outputs.web import create_app
from boligsocial.outputs.web.answers import AnswerCache
from boligsocial.outputs.web.settings import WebSettings
from boligsocial.publish.service import Service

STRONG = "blæksprutte cykler langsomt til Tønder"


@pytest.fixture
def app_and_token(tmp_path: Path, example_db: Path):  # type: ignore[no-untyped-def]
    app = create_app(example_db, WebSettings(access_db=tmp_path / "a.sqlite", answer_cache_mb=1))
    app.state.access.add_user("kim", "staff", STRONG)
    return app, app.state.access.new_token("kim", "tests")


def client(app, token: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://testserver",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_an_unknown_parameter_is_a_422_naming_the_known_ones(app_and_token) -> None:  # type: ignore[no-untyped-def]
    app, token = app_and_token

    async def run() -> httpx.Response:
        async with client(app, token) as c:
            return await c.get(
                "/api/v1/layers/omraade/values", params={"indicator": "residents", "yaer": 2024}
            )

    response = asyncio.run(run())
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unknown-parameter" and error["detail"]["unknown"] == ["yaer"]
    assert {"indicator", "year"} <= set(error["detail"]["allowed"])


def test_a_digit_that_is_not_a_number_is_a_parameter_error_not_a_crash(app_and_token) -> None:  # type: ignore[no-untyped-def]
    app, token = app_and_token

    async def run() -> list[httpx.Response]:
        async with client(app, token) as c:
            return [
                await c.get("/api/v1/layers/omraade/values", params={"indicator": "residents", "year": year})
                for year in ("²", "٣")  # Unicode digits: str.isdigit() says yes, int() says no
            ]

    for response in asyncio.run(run()):
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid-parameter"


def test_junk_parameters_do_not_grow_the_cache(app_and_token) -> None:  # type: ignore[no-untyped-def]
    app, token = app_and_token
    cache: AnswerCache = app.state.answers

    async def run() -> list[int]:
        async with client(app, token) as c:
            first = await c.get("/api/v1/layers/omraade/values?indicator=residents")
            size = len(cache)
            codes = [first.status_code]
            for i in range(300):
                r = await c.get(f"/api/v1/layers/omraade/values?indicator=residents&junk{i}={i}")
                codes.append(r.status_code)
            # the same question asked differently is one entry: the last value counts, as FastAPI reads it
            again = await c.get("/api/v1/layers/omraade/values?indicator=x&indicator=residents")
            assert again.content == first.content and len(cache) == size
            return codes

    codes = asyncio.run(run())
    assert codes[0] == 200 and set(codes[1:]) == {422}


@pytest.mark.slow  # hundreds of requests: every indicator of every layer and year
def test_the_cache_is_bounded_by_bytes(app_and_token) -> None:  # type: ignore[no-untyped-def]
    app, token = app_and_token
    cache: AnswerCache = app.state.answers
    assert cache.max_bytes == 1024 * 1024

    async def run() -> None:
        async with client(app, token) as c:
            meta = (await c.get("/api/v1/meta")).json()
            for layer in meta["layers"]:
                name = layer["id"] if isinstance(layer, dict) else layer
                for year in meta["data_years"]:
                    for indicator in [i["id"] for i in meta["indicators"]][:15]:
                        r = await c.get(f"/api/v1/layers/{name}/values?indicator={indicator}&year={year}")
                        assert r.status_code == 200
                        assert cache.bytes <= cache.max_bytes

    asyncio.run(run())
    assert len(cache) > 10  # it did keep answers, within its bound


def test_a_slow_answer_does_not_stall_the_others(app_and_token, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    app, token = app_and_token
    real = Service.lists
    computed: list[float] = []

    def slow(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        computed.append(time.perf_counter())
        time.sleep(2.0)  # like lists?without_origin=true on a large municipality
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Service, "lists", slow)

    async def run() -> bool:
        async with client(app, token) as c:
            await c.get("/api/v1/me")
            heavy = asyncio.create_task(c.get("/api/v1/lists?without_origin=true"))
            twin = asyncio.create_task(c.get("/api/v1/lists?without_origin=true"))
            while not computed:  # the slow answer is being computed
                await asyncio.sleep(0.01)
            cheap = await c.get("/api/v1/meta")
            still_computing = not heavy.done() and not twin.done()
            results = await asyncio.gather(heavy, twin)
            assert cheap.status_code == 200 and {r.status_code for r in results} == {200}
            assert results[0].content == results[1].content
            return still_computing

    # before: the cheap answer waited behind the slow one (it was computed on the event loop)
    assert asyncio.run(run()) is True
    assert len(computed) == 1  # the two identical requests shared one computation


def test_reads_are_audited_with_their_parameters_and_rows(app_and_token) -> None:  # type: ignore[no-untyped-def]
    app, token = app_and_token

    async def run() -> int:
        async with client(app, token) as c:
            r = await c.get("/api/v1/layers/omraade/values?indicator=residents&year=2024")
            return len(r.json()["areas"])

    areas = asyncio.run(run())
    (read,) = app.state.access.audit(10, "read")
    assert read["username"] == "kim" and read["role"] == "staff"
    assert read["target"] == "/api/v1/layers/omraade/values"
    assert read["detail"] == {"indicator": "residents", "year": 2024, "rows": areas}
    assert app.state.access.verify().ok


def test_exports_are_jobs_with_progress_a_download_and_a_limit(tmp_path: Path, example_db: Path) -> None:
    app = create_app(example_db, WebSettings(access_db=tmp_path / "a.sqlite"))
    store = app.state.access
    for name in ("kim", "ida"):
        store.add_user(name, "analyst", STRONG)
    kim, ida = store.new_token("kim", "t"), store.new_token("ida", "t")

    async def run() -> None:
        async with client(app, kim) as c, client(app, ida) as other:
            started = [await c.post("/api/v1/exports", params={"fmt": "xlsx"}) for _ in range(2)]
            assert [r.status_code for r in started] == [202, 202]
            job = started[0].json()
            assert (
                job["state"] in ("queued", "running") and job["status_url"] == f"/api/v1/exports/{job['id']}"
            )
            busy = await c.post("/api/v1/exports", params={"fmt": "csv"})  # a third one at once
            assert busy.status_code == 429 and busy.json()["error"]["code"] == "export-busy"
            assert (await other.get(job["status_url"])).status_code == 404  # not ida's
            ida_own = await other.post("/api/v1/exports", params={"fmt": "csv"})  # her own limit
            assert ida_own.status_code == 202
            for _ in range(600):
                status = (await c.get(job["status_url"])).json()
                if status["state"] == "done":
                    break
                assert status["state"] in ("queued", "running")
                await asyncio.sleep(0.1)
            assert status["progress"] == 1.0 and status["download_url"].endswith("/file")
            file = await c.get(status["download_url"])
            assert file.status_code == 200 and file.content[:2] == b"PK"  # an xlsx is a zip
            assert "analyst" in file.headers["content-disposition"]
            assert (await other.get(status["download_url"])).status_code == 404

    asyncio.run(run())
    exports = [r for r in store.audit(50, "export")]
    assert len(exports) >= 1 and exports[-1]["target"] == "xlsx omraade/alle/- for analyst"


def test_a_protection_needed_by_parallel_requests_is_built_once() -> None:
    """The API computes answers in worker threads: those that need the same protection at once
    wait for one build instead of each making its own."""
    import threading

    from boligsocial.publish.service.keeping import shared

    built: list[int] = []

    def make() -> object:
        built.append(1)
        time.sleep(0.3)
        return object()

    key = ("test", time.time())
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(shared(key, make))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and len({id(r) for r in results}) == 1
