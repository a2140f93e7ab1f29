"""Disclosure control: the cell rules at their edges, complementary suppression, policies as data,
and a property over random small deliveries: nothing small leaves any endpoint for any role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
import shapely
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boligsocial.common.errors import ConfigError
from boligsocial.outputs.web import create_app
from boligsocial.outputs.web.settings import WebSettings
from boligsocial.pipeline import load
from boligsocial.publish import disclosure as dc
from builders import X0, Y0, SmallDelivery, person

DEFAULT = dc.load_policies()["default"]
ANALYST = dc.load_policies()["analyst"]


@pytest.mark.parametrize(
    ("n", "state", "value"), [(0, "ok", 0), (1, "small", None), (4, "small", None), (5, "ok", 5)]
)
def test_counts_1_to_4_are_never_exact(n: int, state: str, value: int | None) -> None:
    c = dc.cell(float(n), n, "count", DEFAULT)
    assert c["state"] == state and c["value"] == value
    if state == "small":
        assert c["label"] == "<5" and c["numerator"] is None


def test_small_counts_can_be_rounded_up_to_five() -> None:
    rounding = dc.Policy("round", small_count_display="round")
    assert dc.cell(2.0, 2, "count", rounding) == {
        "value": 5.0,
        "numerator": 5.0,
        "denominator": None,
        "state": "rounded",
    }


@pytest.mark.parametrize(
    ("den", "state"), [(19, "suppressed"), (20, "uncertain"), (49, "uncertain"), (50, "ok")]
)
def test_rates_follow_the_population_rule(den: int, state: str) -> None:
    assert dc.cell(10.0, den, "share", DEFAULT)["state"] == state
    assert dc.cell(10.0, den, "mean", DEFAULT)["state"] == state


@pytest.mark.parametrize(
    ("num", "state"), [(0, "ok"), (4, "suppressed"), (5, "ok"), (95, "ok"), (96, "suppressed"), (100, "ok")]
)
def test_a_share_that_would_reveal_a_small_count_is_suppressed(num: int, state: str) -> None:
    assert dc.cell(float(num), 100, "share", DEFAULT)["state"] == state


def test_analysts_see_exact_counts_but_not_rates_on_tiny_populations() -> None:
    assert dc.cell(3.0, 3, "count", ANALYST)["value"] == 3
    assert dc.cell(3.0, 100, "share", ANALYST)["state"] == "ok"
    assert dc.cell(3.0, 19, "share", ANALYST)["state"] == "suppressed"


def test_an_installation_overrides_the_policy_in_its_own_file(tmp_path: Path) -> None:
    own = tmp_path / "policy.toml"
    own.write_text("[default]\nmin_area_population = 500\n")
    policies = dc.load_policies(own)
    assert policies["default"].min_area_population == 500 and policies["default"].small_count_max == 4
    own.write_text('[default]\nsmall_count_display = "hide"\nrate_min_population = -1\nfoo = 1\n')
    with pytest.raises(ConfigError) as info:
        dc.load_policies(own)
    assert str(info.value).splitlines() == [
        "fejl i diskretionspolitikken / disclosure policy problems:",
        "  policy.toml: default.small_count_display: ukendt værdi / unknown value: 'hide' "
        "(tilladt/allowed: <5, round)",
        "  policy.toml: default.rate_min_population: skal være mindst 0 / must be at least 0: -1",
        "  policy.toml: default.foo: ukendt nøgle / unknown key (tilladt/allowed: small_count_max, "
        "small_count_display, rate_min_population, rate_uncertain_population, complementary, "
        "min_area_population)",
    ]


def test_a_misspelled_audience_or_setting_is_refused_with_a_hint(tmp_path: Path) -> None:
    own = tmp_path / "policy.toml"
    own.write_text(
        '[defualt]\nsmall_count_max = 9\n[public]\nmin_area_populaton = 500\ncomplementary = "yes"\n'
    )
    with pytest.raises(ConfigError) as info:
        dc.load_policies(own)
    assert str(info.value).splitlines()[1:] == [
        "  policy.toml: defualt: ukendt nøgle / unknown key: 'defualt' "
        "(tilladt/allowed: default, analyst, public); mente du 'default'? / did you mean 'default'?",
        "  policy.toml: public.complementary: skal være true eller false / must be true or false",
        "  policy.toml: public.min_area_populaton: ukendt nøgle / unknown key; "
        "mente du 'min_area_population'? / did you mean 'min_area_population'?",
    ]


def test_the_shipped_policies_read_as_they_always_did() -> None:
    """policy.toml gives exactly these policies, one for each audience a role reads with."""
    assert dc.load_policies() == {
        "default": dc.Policy("default"),
        "analyst": dc.Policy("analyst", 0, "<5", 20, 50, False, 0),
        "public": dc.Policy("public", 4, "<5", 50, 100, True, 250),
    }
    assert set(dc.load_policies()) == set(dc.AUDIENCE_OF_ROLE.values())


# --- the property: random small deliveries, every endpoint, every non-analyst role -----------------

ROLES = ("admin", "staff", "politician", "housing_association")
AREAS = ("a-almen", "b-by", "c-land")


def _delivery(sizes: list[int], traits: list[float], seed: int) -> SmallDelivery:
    import random

    rng = random.Random(seed)
    d = SmallDelivery()
    d.areas = [
        {
            "area_id": a,
            "name": a,
            "layer": "omraade",
            "kind": "almen" if i == 0 else "by",
            "geometry": shapely.box(X0 + 100 * i, Y0, X0 + 100 * (i + 1), Y0 + 100),
        }
        for i, a in enumerate(AREAS)
    ]
    d.addresses = [
        {
            "address_id": f"adr-{a}",
            "x": X0 + 100 * i + 50,
            "y": Y0 + 50,
            "housing_type": "almen" if i == 0 else "ejer",
            "housing_org": "Org" if i == 0 else None,
            "housing_department": None,
        }
        for i, a in enumerate(AREAS)
    ]
    d.persons = []
    for year in (2020, 2021):
        for i, a in enumerate(AREAS):
            for k in range(sizes[i]):
                age = rng.randint(0, 90)
                d.persons.append(
                    person(
                        year,
                        f"{a}-{k}",
                        f"adr-{a}",
                        f"{year - age}-06-01",
                        sex=rng.choice("MK"),
                        outside_fte=1.0 if rng.random() < traits[i] else 0.0,
                        convicted="true" if rng.random() < traits[i] / 3 else "false",
                        education="grundskole" if rng.random() < traits[i] else "lvu",
                        gross_income=float(rng.randint(50_000, 600_000)),
                        origin="indvandrer" if rng.random() < traits[i] else "dansk",
                        origin_country="SY",
                        eviction="true" if rng.random() < 0.02 else "false",
                    )
                )
    return d


ENDPOINTS = (
    "/api/v1/layers/omraade/values?indicator={ind}&year=2021",
    "/api/v1/layers/omraade/values.csv?indicator={ind}&year=2021",
    "/api/v1/layers/omraade/areas/{area}/series?indicator={ind}",
    "/api/v1/layers/omraade/areas/{area}/breakdown?year=2021",
    "/api/v1/layers/omraade/areas/{area}/profile",
    "/api/v1/lists",
    "/api/v1/lists/watch",
    "/api/v1/lists/changes",
    "/api/v1/traffic-lights",
    "/api/v1/moves/flows",
    "/api/v1/moves/flows?trait=outside_labour",
    "/api/v1/moves/flows?by=housing_type&area={area}",
    "/api/v1/layers/omraade/areas/{area}/moves",
    "/api/v1/layers/omraade/areas/{area}/displacement",
    "/api/v1/layers/omraade/areas/{area}/displacement?criterion=nonwestern",
)


def _cells(obj: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every dict in a JSON answer, with where it was."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(obj, dict):
        found.append((path, obj))
        for k, v in obj.items():
            found += _cells(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found += _cells(v, f"{path}[{i}]")
    return found


def _csv_cells(text: str) -> list[dict[str, Any]]:
    """An exported CSV as cells, numbers parsed, so the same rules can be checked on it."""
    import csv
    import io

    def number(v: str) -> float | None:
        return float(v) if v not in ("", None) else None

    return [
        {
            **r,
            "value": number(r["value"]),
            "numerator": number(r["numerator"]),
            "denominator": number(r["denominator"]),
        }
        for r in csv.DictReader(
            io.StringIO("".join(li for li in text.splitlines(True) if not li.startswith("#")))
        )
    ]


def _check_answer(path: str, body: Any, unit_of: dict[str, str], blocks: dict[tuple[str, int], dict]) -> None:
    for where, c in _cells(body):
        state = c.get("state")
        if "persons" in c and state in ("ok", "uncertain"):
            assert not 1 <= (c["persons"] or 0) <= 4, (path, where, c)
        if {"numerator", "denominator", "value"} <= set(c) and state in ("ok", "uncertain"):
            unit = unit_of.get(c.get("indicator", ""), "")
            if c["denominator"] is not None and c["value"] != c["numerator"]:
                assert c["denominator"] >= 20, (path, where, c)  # a rate on fewer than 20 persons
            if c["value"] == c["numerator"] or unit == "count":
                assert not 1 <= (c["value"] or 0) <= 4, (path, where, c)  # an exact small count
        for key in (
            "movers",
            "in_internal",
            "in_external",
            "out_internal",
            "out_external",
            "births",
            "ended",
            "residents_before",
            "residents_after",
            "in_total",
            "out_total",
        ):
            if isinstance(c.get(key), int | float):
                assert not 1 <= c[key] <= 4, (path, where, key, c)
        if c.get("net") is not None or c.get("turnover") is not None:  # sums only beside shown parts
            for part in ("in_internal", "in_external", "out_internal", "out_external"):
                assert c.get(f"{part}_state") is None and not 1 <= c[part] <= 4, (path, where, c)
        assert not any(k.startswith("n_") for k in c), (path, where, c)
        if "residents" in c and isinstance(c["residents"], int | float):
            assert not 1 <= c["residents"] <= 4, (path, where, c)
        if "labour_share" in c and "list_year" in c:
            for measure, (num, den) in {
                "crime": ("crime_count", "crime_n"),
                "education": ("education_count", "education_n"),
                "nonwestern": ("nonwestern", "residents"),
            }.items():
                if c.get(f"{measure}_state") in ("ok", "uncertain"):
                    for year in (c["list_year"] - 1, c["list_year"] - 2):
                        b = blocks.get((c["area_id"], year))
                        if b and b[den]:
                            assert b[den] >= 20 and not 1 <= b[num] <= 4, (path, where, measure, b)
    # a wall-to-wall layer adds up to the municipality: never exactly one hidden area beside it
    if "/values?" in path and body.get("municipality", {}).get("state") in ("ok", "uncertain"):
        hidden = [a for a in body["areas"] if a["state"] in ("small", "suppressed", "rounded")]
        assert len(hidden) != 1, (path, hidden)
    for where, c in _cells(body):  # a hidden figure or row always says why
        if c.get("state") == "suppressed":
            why = c.get("hidden_reason") if ("list_year" in c or "colour" in c) else c.get("reason")
            assert why in ("small", "area-small", "differencing", "not-your-area"), (path, where, c)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(1, 80), min_size=3, max_size=3),
    traits=st.lists(st.floats(0.0, 0.9), min_size=3, max_size=3),
    seed=st.integers(0, 10_000),
)
@pytest.mark.slow  # asks every endpoint as every role
def test_nothing_small_leaves_any_endpoint_for_any_non_analyst_role(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], traits: list[float], seed: int
) -> None:
    root = tmp_path_factory.mktemp("prop")
    db = root / "bsm.duckdb"
    load(_delivery(sizes, traits, seed).write(root / "d"), db, root / "key", allow_unassigned=True)
    app = create_app(db, WebSettings(access_db=root / "access.sqlite"))
    con = duckdb.connect(str(db), read_only=True)
    blocks = {
        (r[0], r[1]): dict(zip([d[0] for d in con.description][2:], r[2:], strict=True))
        for r in con.execute(
            "SELECT area_id, year, * EXCLUDE (area_id, year, layer, ages) "
            "FROM criteria_inputs WHERE layer = 'omraade'"
        ).fetchall()
    }
    unit_of = dict(con.execute("SELECT id, unit FROM indicators").fetchall())
    con.close()
    for role in ROLES:
        app.state.access.add_user(
            role,
            role,
            f"password-{role}",
            "Org" if role == "housing_association" else None,
            weak_password_ok=True,
        )
        client = TestClient(
            app,
            base_url="https://testserver",
            headers={"Authorization": f"Bearer {app.state.access.new_token(role)}"},
        )
        for template in ENDPOINTS:
            for area in AREAS:
                for ind in (
                    "residents",
                    "children_0_17",
                    "convicted_18plus",
                    "evicted_persons",
                    "outside_labour_18_64",
                    "mean_income_15_64",
                    "age_0_5",
                ):
                    path = template.format(area=area, ind=ind)
                    response = client.get(path)
                    if response.status_code == 403 and (role == "housing_association" or ".csv" in path):
                        continue  # not its area, or a role that may not export
                    assert response.status_code == 200, (path, response.text)
                    body = _csv_cells(response.text) if ".csv" in path else response.json()
                    for _where, c in _cells(body):
                        if c.get("indicator") is None and "/values" in path and "value" in c:
                            c["indicator"] = ind  # the unit of a values answer is the indicator's
                    _check_answer(path, body, unit_of, blocks)
                    if "{ind}" not in template:
                        break
                if "{area}" not in template:
                    break


def test_the_same_figure_is_exact_for_an_analyst_and_hidden_for_a_politician(tmp_path: Path) -> None:
    db = tmp_path / "bsm.duckdb"
    load(_delivery([3, 60, 40], [0.3, 0.3, 0.3], 1).write(tmp_path / "d"), db, tmp_path / "key")
    app = create_app(db, WebSettings(access_db=tmp_path / "access.sqlite"))
    seen = {}
    for role in ("analyst", "politician"):
        app.state.access.add_user(role, role, f"password-{role}", weak_password_ok=True)
        client = TestClient(
            app,
            base_url="https://testserver",
            headers={"Authorization": f"Bearer {app.state.access.new_token(role)}"},
        )
        body = client.get("/api/v1/layers/omraade/values?indicator=residents&year=2021").json()
        seen[role] = {a["area_id"]: (a["value"], a["state"], a.get("label")) for a in body["areas"]}
    assert seen["analyst"]["a-almen"] == (3, "ok", None)
    assert seen["politician"]["a-almen"] == (None, "small", "<5")
    # the partner that would give the 3 away by subtraction from the total is hidden too: the
    # smaller of the two others (40 residents), as the cheapest to lose
    assert seen["politician"]["c-land"][1] == "suppressed" and seen["analyst"]["c-land"][1] == "ok"
    assert seen["politician"]["b-by"][1] == "ok"
