"""The JSON API: every endpoint, bad parameters, one error shape, and the page shells."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from boligsocial.common.words import words
from boligsocial.outputs.web import create_app
from conftest import client_for

ERROR_KEYS = {"code", "message", "detail"}


@pytest.fixture(scope="module")
def client(web) -> TestClient:  # type: ignore[no-untyped-def]
    return client_for(web, "analyst")


def error_of(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, body
    return body["error"]


def test_meta(client: TestClient) -> None:
    meta = client.get("/api/v1/meta").json()
    assert meta["municipality"] == {"name": "Fjordby Kommune", "code": "999", "region": "1083"}
    assert meta["data_years"] == list(range(2015, 2026))
    assert meta["list_years"] == list(range(2017, 2027))
    assert meta["forecast_years"] == [2027, 2028]
    assert {layer["id"] for layer in meta["layers"]} == {
        "omraade",
        "skoledistrikt",
        "almen_boligomraade",
        "landsby",
    }
    assert "outside_labour_18_64" in {i["id"] for i in meta["indicators"]}


def test_geojson_has_one_feature_per_area_valid_that_year(client: TestClient) -> None:
    geo = client.get("/api/v1/layers/omraade/areas", params={"year": 2025}).json()
    assert geo["type"] == "FeatureCollection" and geo["crs"] == "EPSG:25832"
    ids = [f["id"] for f in geo["features"]]
    assert len(ids) == len(set(ids)) == 82
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in geo["features"])
    minx, miny, maxx, maxy = geo["bbox"]
    assert 500_000 < minx < maxx < 600_000 and 6_100_000 < miny < maxy < 6_250_000


def test_values_match_numerator_over_denominator_and_the_municipality(client: TestClient) -> None:
    data = client.get(
        "/api/v1/layers/omraade/values", params={"indicator": "outside_labour_18_64", "year": 2024}
    ).json()
    assert data["year"] == 2024 and data["indicator"]["unit"] == "share"
    areas = data["areas"]
    assert len(areas) == 82
    shown = [a for a in areas if a["state"] in ("ok", "uncertain")]
    assert len(shown) > 40
    for a in shown:
        assert a["value"] == pytest.approx(a["numerator"] / a["denominator"])
        assert a["denominator"] >= 20  # the population rule holds for analysts too
    for a in areas:
        if a["state"] == "suppressed":
            assert a["value"] is None and a["numerator"] is None and a["denominator"] is None
    assert data["municipality"]["state"] == "ok"


def test_values_csv_download(client: TestClient) -> None:
    response = client.get(
        "/api/v1/layers/omraade/values.csv", params={"indicator": "residents", "year": 2025}
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.text.splitlines(True)
    # a file with exact counts says so first (the client is an analyst), and whom it is for
    assert lines[0].startswith("# FORTROLIGT") and lines[1] == "# audience: analyst\n"
    rows = list(csv.DictReader(io.StringIO("".join(li for li in lines if not li.startswith("#")))))
    assert len(rows) == 82 and {"area_id", "name", "value", "numerator", "denominator", "year"} <= set(
        rows[0]
    )
    staff = client.get(
        "/api/v1/layers/omraade/values.csv",
        params={"indicator": "residents", "year": 2025, "audience": "staff"},
    )
    assert staff.status_code == 200 and staff.text.startswith("# audience: staff\n")


def test_series_breakdown_and_profile(client: TestClient) -> None:
    base = "/api/v1/layers/omraade/areas/fjordby-kildeparken"
    series = client.get(f"{base}/series", params={"indicator": "nonwestern_share"}).json()
    assert [p["year"] for p in series["area_series"]] == list(range(2015, 2026))
    assert len(series["municipality"]) == 11 and len(series["almen"]) == 11
    breakdown = client.get(f"{base}/breakdown").json()
    assert [a["indicator"] for a in breakdown["age"]] == [
        "age_0_5",
        "age_6_16",
        "age_17_29",
        "age_30_64",
        "age_65_plus",
    ]
    assert breakdown["housing"][0]["housing_type"] == "almen"
    profile = client.get(f"{base}/profile").json()
    assert profile["eligible"] is True and profile["latest"]["list_year"] == 2026
    assert profile["sentences"][0].startswith("Området opfylder")
    english = client.get(f"{base}/profile", params={"lang": "en"}).json()
    assert english["sentences"][0].startswith("The area meets")
    other = client.get(f"{base}/profile", params={"lang": "de"})
    assert other.status_code == 200 and other.json()["sentences"] == profile["sentences"]  # Danish


def test_lists_forecast_watch_changes_and_traffic_lights(client: TestClient) -> None:
    lists = client.get("/api/v1/lists", params={"year": 2026}).json()
    assert len(lists) == 82 and {r["list_year"] for r in lists} == {2026}
    assert {"udsat", "category", "labour_margin_persons"} <= set(lists[0])
    forecast = client.get("/api/v1/forecast", params={"year": 2027}).json()
    assert len(forecast) == 82 and 0 <= forecast[0]["p_udsat"] <= 1
    watch = client.get("/api/v1/lists/watch", params={"year": 2026}).json()
    assert watch and all(
        w["category"] != "none" or (w["criteria_met"] or 0) > 0 or w["colour"] in ("gul", "roed")
        for w in watch
    )
    assert isinstance(client.get("/api/v1/lists/changes").json(), list)
    assert isinstance(client.get("/api/v1/lists/disagreements").json(), list)
    lights = client.get("/api/v1/traffic-lights", params={"model": "kriterier", "year": 2026}).json()
    assert len(lights) == 82 and {r["colour"] for r in lights} <= {"groen", "gul", "roed"}
    # each reason in the reader's language, from the same stored data
    english = client.get(
        "/api/v1/traffic-lights", params={"model": "kriterier", "year": 2026, "lang": "en"}
    ).json()
    shown = [(d["reason"], e["reason"]) for d, e in zip(lights, english, strict=True) if d["reason"]]
    assert shown and all(d.startswith("opfyldte kriterier:") for d, _ in shown)
    assert all(
        e.startswith("criteria met:") and "opfyldte" not in e and "kategori" not in e for _, e in shown
    )


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/v1/layers/omraade/areas/nowhere/profile", {}, 404, "unknown-area"),
        ("/api/v1/layers/nolayer/areas", {}, 404, "unknown-layer"),
        ("/api/v1/layers/omraade/values", {"indicator": "happiness"}, 404, "unknown-indicator"),
        ("/api/v1/layers/omraade/values", {"indicator": "residents", "year": 2031}, 422, "year-out-of-range"),
        (
            "/api/v1/layers/omraade/values",
            {"indicator": "residents", "year": "abc"},
            422,
            "invalid-parameter",
        ),
        ("/api/v1/layers/omraade/values", {}, 422, "invalid-parameter"),
        ("/api/v1/lists", {"year": 2010}, 422, "list-year-out-of-range"),
        ("/api/v1/forecast", {"year": 2026}, 422, "forecast-year-out-of-range"),
        ("/api/v1/traffic-lights", {"model": "mood"}, 404, "unknown-model"),
        ("/api/v1/nothing-here", {}, 404, "not-found"),
    ],
)
def test_bad_requests_get_one_error_shape(
    client: TestClient, path: str, params: dict, status: int, code: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status
    error = error_of(response)
    assert error["code"] == code and error["message"]
    # the message in the asker's language, from the catalogue's message for the code
    english = error_of(client.get(path, params={**params, "lang": "en"}))["message"]
    if words("da").has(f"error.{code}"):
        assert error["message"] != english and not re.search("[æøå]", english)
        assert english.startswith(words("en").messages[f"error.{code}"].split("{")[0])
        assert error["message"].startswith(words("da").messages[f"error.{code}"].split("{")[0])


def test_openapi_is_served_and_the_cdn_docs_page_is_not(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/layers/{layer}/values" in spec["paths"]
    assert client.get("/docs").status_code == 404


def test_every_operation_declares_the_language_it_answers_in(client: TestClient) -> None:
    """`?lang=` is taken by every endpoint (the error message at least is worded by it), so the
    description lists it for every operation; and asking in English gets an English message."""
    spec = client.get("/openapi.json").json()
    operations = [
        (p, m, o) for p, ops in spec["paths"].items() if p.startswith("/api/") for m, o in ops.items()
    ]
    assert len(operations) > 20
    without = [
        (m, p)
        for p, m, o in operations
        if not any(q["name"] == "lang" and q["in"] == "query" for q in o.get("parameters", []))
    ]
    assert without == []
    for lang in ("da", "en"):
        answer = client.get("/api/v1/layers/nowhere/areas", params={"lang": lang})
        assert answer.json()["error"]["message"] == words(lang)("error.unknown-layer", layer="nowhere")


def test_openapi_advertises_the_error_shape_the_api_returns(web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    from boligsocial.outputs.web.schemas import ErrorBody

    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in str(spec)  # FastAPI's default shape, never returned
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "422"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
    # and real error answers have that shape
    anonymous = TestClient(web[0], base_url="https://testserver")
    answers = {
        401: anonymous.get("/api/v1/meta"),
        403: client_for(web, "staff").get("/api/v1/audit"),
        404: client.get("/api/v1/layers/nowhere/areas"),
        422: client.get("/api/v1/layers/omraade/values", params={"indicator": "residents", "year": "x"}),
    }
    for status, answer in answers.items():
        assert answer.status_code == status, (status, answer.text)
        ErrorBody.model_validate(answer.json(), strict=True)
    unknown = client.get("/api/v1/meta", params={"colour": "red"})
    assert ErrorBody.model_validate(unknown.json()).error.code == "unknown-parameter"


@pytest.mark.parametrize("path", ["/", "/omraade/omraade/fjordby-kildeparken", "/sammenlign", "/lister"])
def test_pages_reference_only_the_apps_own_assets(client: TestClient, path: str) -> None:
    client.cookies.clear()
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "http://" not in response.text and "https://" not in response.text
    assert 'lang="da"' in response.text and "Oversigt" in response.text
    english = client.get(path, params={"lang": "en"})
    assert 'lang="en"' in english.text and "Overview" in english.text
    assert english.cookies.get("lang") == "en"


def test_unknown_area_page_is_an_html_404(client: TestClient) -> None:
    response = client.get("/omraade/omraade/nowhere")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")


def test_static_assets_are_served_locally(client: TestClient) -> None:
    js = client.get("/static/vendor/plotly.min.js")
    assert js.status_code == 200 and "plotly.js" in js.text[:200]
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/favicon.ico").status_code == 200


@pytest.mark.slow  # loads twice
def test_a_new_load_is_picked_up_without_restart(tmp_path: Path, small, key_file: Path) -> None:  # type: ignore[no-untyped-def]
    from boligsocial.outputs.web.settings import WebSettings
    from boligsocial.pipeline import load

    db = tmp_path / "bsm.duckdb"
    load(small.write(tmp_path / "d1"), db, key_file)
    client = TestClient(create_app(db, WebSettings(anonymous="public")))
    assert client.get("/api/v1/meta").json()["data_years"] == [2020, 2021]
    small.persons = [{**p, "year": 2022} for p in small.persons if p["year"] == 2021]
    small.reference = [{**r, "year": 2022} for r in small.reference if r["year"] == 2021]
    load(small.write(tmp_path / "d2"), db, key_file)
    assert client.get("/api/v1/meta").json()["data_years"] == [2020, 2021, 2022]


def test_error_pages_escape_what_the_url_says(client: TestClient) -> None:
    response = client.get("/omraade/omraade/<script>alert(1)<x>")
    assert response.status_code == 404
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text


@pytest.mark.slow  # builds the moves' protection
def test_moves_endpoints(web) -> None:  # type: ignore[no-untyped-def]
    analyst, staff = client_for(web, "analyst"), client_for(web, "staff")
    flows = analyst.get("/api/v1/moves/flows", params={"year_from": 2020, "year_to": 2025}).json()
    assert flows and {"from", "to", "movers", "state"} <= set(flows[0])
    assert any(r["from"] == "" for r in flows) and any(r["to"] == "" for r in flows)  # in and out
    # a range of years is shown only where every year of it is, as the sum of those years; hidden
    # ones say why, without a value (school districts: at a tenth of the example, the flows between
    # the small areas of the omraade layer are all hidden for staff)
    params = {"layer": "skoledistrikt"}
    ranged = staff.get("/api/v1/moves/flows", params={**params, "year_from": 2024, "year_to": 2025}).json()
    years = {
        y: {
            (r["from"], r["to"]): r
            for r in staff.get("/api/v1/moves/flows", params={**params, "year_from": y, "year_to": y}).json()
        }
        for y in (2024, 2025)
    }
    assert {r["state"] for r in ranged} <= {"ok", "suppressed"} and any(r["state"] == "ok" for r in ranged)
    for r in ranged:
        parts = [years[y].get((r["from"], r["to"])) for y in (2024, 2025)]
        if r["state"] == "ok":
            assert all(p is None or p["state"] == "ok" for p in parts)
            assert r["movers"] == sum(p["movers"] for p in parts if p is not None)
        else:
            assert r["movers"] is None and r["reason"] in ("differencing", "area-small")
            assert any(p is not None and p["state"] != "ok" for p in parts)
    one_year = staff.get("/api/v1/moves/flows", params={"year_from": 2025, "year_to": 2025}).json()
    assert {r["state"] for r in one_year} <= {"ok", "small", "suppressed"}
    assert all(r["movers"] is None for r in one_year if r["state"] != "ok")
    housing = analyst.get("/api/v1/moves/flows", params={"by": "housing_type"}).json()
    assert {"almen", "ejer"} <= {r["to"] for r in housing}
    bad = analyst.get("/api/v1/moves/flows", params={"by": "colour"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown-grouping"
    area = analyst.get("/api/v1/layers/omraade/areas/fjordby-kildeparken/moves").json()
    labour = [d for d in area["decomposition"] if d["criterion"] == "labour" and d["state"] == "ok"]
    assert labour  # the analyst's rows are hidden only for small groups
    assert all(d["reason"] == "small" for d in area["decomposition"] if d["state"] == "suppressed")
    for d in labour:
        parts = d["stayers"] + d["in_movers"] + d["out_movers"] + d["ageing_in"] + d["ageing_out"]
        assert abs(parts - d["change"]) < 1e-12
    assert {p["group"] for p in area["profiles"]} == {"in", "out", "stay"}
    # each term is a function of a group's count with the trait (the newborns', the endings'...):
    # only the analyst sees the decomposition
    theirs = staff.get("/api/v1/layers/omraade/areas/fjordby-kildeparken/moves").json()["decomposition"]
    assert len(theirs) == len(area["decomposition"]) > 0
    assert all(d["state"] == "suppressed" and d["reason"] == "differencing" for d in theirs)
    assert all(d[k] is None for d in theirs for k in ("stayers", "in_movers", "out_movers", "ageing_in"))
    assert (
        client_for(web, "housing_association")
        .get("/api/v1/layers/omraade/areas/fjordby-skovbrynet/moves")
        .status_code
        == 403
    )


@pytest.mark.slow  # builds the moves' protection
def test_displacement_endpoint(web) -> None:  # type: ignore[no-untyped-def]
    rows = (
        client_for(web, "analyst").get("/api/v1/layers/omraade/areas/fjordby-kildeparken/displacement").json()
    )
    assert rows and {"to_area", "movers", "impact_pp", "material"} <= set(rows[0])
    with_impact = [r for r in rows if r["impact_pp"] is not None]
    assert all(r["material"] == (r["impact_pp"] >= 0.5) for r in with_impact)
    # the effect is a function of the movers' share: it is never shown beside a hidden share (at a
    # tenth of the example no pair of areas has 20 movers in a criterion's population)
    assert all(r["impact_pp"] is None for r in rows if r["trait_state"] not in ("ok", "uncertain"))
    assert any(r["trait_state"] == "suppressed" for r in rows)
    staff = (
        client_for(web, "staff").get("/api/v1/layers/omraade/areas/fjordby-kildeparken/displacement").json()
    )
    assert all(r["impact_pp"] is None for r in staff if r["movers_state"] == "small")
