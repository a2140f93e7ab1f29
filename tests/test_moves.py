"""Moves on a hand-built delivery where every move, profile and decomposition term is known, and
the decomposition identity for any groups (Hypothesis)."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import duckdb
import polars as pl
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from boligsocial.common.words import words
from boligsocial.compute.moves import decompose
from boligsocial.pipeline import load
from builders import X0, Y0, SmallDelivery, person


def delivery() -> SmallDelivery:
    """Areas A and B; addresses a1, a2 in A and b1 in B. Persons, 2020 → 2021:
    p1 A→B (internal move), p2 stays at a1, p3 leaves B with an out-move, p4 leaves B without one
    (ended), p5 is born in A, p6 moves into A from outside, p7 moves a1 → a2 inside A."""
    d = SmallDelivery()
    d.areas = [
        {
            "area_id": "A",
            "name": "A",
            "layer": "omraade",
            "kind": "almen",
            "geometry": shapely.box(X0, Y0, X0 + 100, Y0 + 100),
        },
        {
            "area_id": "B",
            "name": "B",
            "layer": "omraade",
            "kind": "by",
            "geometry": shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
        },
    ]
    d.addresses = [
        {"address_id": "a1", "x": X0 + 20, "y": Y0 + 50, "housing_type": "almen"},
        {"address_id": "a2", "x": X0 + 70, "y": Y0 + 50, "housing_type": "almen"},
        {"address_id": "b1", "x": X0 + 150, "y": Y0 + 50, "housing_type": "ejer"},
    ]
    rows = {  # person: (2020 address, 2021 address, birth date, outside_fte)
        "p1": ("a1", "b1", "1980-01-01", 0.0),
        "p2": ("a1", "a1", "1970-01-01", 1.0),
        "p3": ("b1", None, "1960-01-01", 0.0),
        "p4": ("b1", None, "1950-01-01", 0.0),
        "p5": (None, "a1", "2021-05-01", 0.0),
        "p6": (None, "a2", "1991-01-01", 1.0),
        "p7": ("a1", "a2", "1985-01-01", 0.5),
    }
    d.persons = []
    for pid, (before, after, birth, fte) in rows.items():
        for year, address in ((2020, before), (2021, after)):
            if address is not None:
                d.persons.append(person(year, pid, address, birth, outside_fte=fte))
    d.moves = [
        {"person_id": "p1", "move_date": "2021-03-01", "from_address_id": "a1", "to_address_id": "b1"},
        {"person_id": "p3", "move_date": "2021-06-01", "from_address_id": "b1", "to_address_id": None},
        {"person_id": "p6", "move_date": "2021-02-01", "from_address_id": None, "to_address_id": "a2"},
        {"person_id": "p7", "move_date": "2021-08-01", "from_address_id": "a1", "to_address_id": "a2"},
    ]
    return d


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`delivery()` loaded once for the module (the tests that take it as it is read its copies)."""
    root = tmp_path_factory.mktemp("moves")
    load(delivery().write(root / "d"), root / "bsm.duckdb", root / "key")
    return root


@pytest.fixture
def db(loaded: Path, tmp_path: Path) -> Path:
    """A copy of `delivery()` loaded, with its key, of this test's own (a service keeps files beside it)."""
    for name in ("bsm.duckdb", "key"):
        shutil.copy2(loaded / name, tmp_path / name)
    return tmp_path / "bsm.duckdb"


def tables(db: Path) -> dict[str, pl.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: con.sql(f"SELECT * FROM {t}").pl()
            for t in (
                "move_flows",
                "move_areas",
                "mover_profiles",
                "move_decomposition",
            )
        }
    finally:
        con.close()


def test_flows_count_moves_not_births_or_endings(db: Path) -> None:
    from boligsocial.publish.service import Service

    svc = Service(db)

    def flows(by: str, **kw: object) -> dict[tuple[str, str], float]:
        return {(r["from"], r["to"]): r["movers"] for r in svc.flows(by, **kw).iter_rows(named=True)}  # type: ignore[arg-type]

    assert flows("area") == {("A", "B"): 1, ("A", "A"): 1, ("", "A"): 1, ("B", ""): 1}
    assert flows("housing_type") == {
        ("almen", "ejer"): 1,
        ("almen", "almen"): 1,
        ("", "almen"): 1,
        ("ejer", ""): 1,
    }
    assert flows("kind") == {("almen", "by"): 1, ("almen", "almen"): 1, ("", "almen"): 1, ("by", ""): 1}


def test_flows_by_trait_area_and_housing_type(db: Path) -> None:
    from boligsocial.common.errors import InvalidParameter, NotFound
    from boligsocial.publish.service import Service

    svc = Service(db)

    def flows(**kw: object) -> dict[tuple[str, str], float]:
        return {(r["from"], r["to"]): r["movers"] for r in svc.flows("area", **kw).iter_rows(named=True)}  # type: ignore[arg-type]

    # outside the labour market at least half the year, aged 18-64, after the move: p6 (1.0), p7 (0.5);
    # p1 (0.0) is employed, and p3 (0.0) is judged before leaving
    assert flows(trait="outside_labour") == {("", "A"): 1, ("A", "A"): 1}
    assert flows(trait="children") == {}  # the newborn p5 is a birth, not a mover
    assert flows(area="B") == {("A", "B"): 1, ("B", ""): 1}
    assert flows(housing_type="ejer") == {("A", "B"): 1, ("B", ""): 1}
    with pytest.raises(InvalidParameter, match="trait 'tall'"):
        svc.flows("area", trait="tall")
    with pytest.raises(NotFound):
        svc.flows("area", area="Z")


def test_moves_are_computed_for_every_layer(tmp_path: Path) -> None:
    """A second layer that covers only address a1 (an almen estate inside A): moving a1 → a2 leaves
    it, and the newborn at a1 is a birth there too."""
    d = delivery()
    d.areas.append(
        {
            "area_id": "X",
            "name": "X",
            "layer": "almen_boligomraade",
            "kind": "almen",
            "geometry": shapely.box(X0, Y0, X0 + 50, Y0 + 100),
        }
    )
    db = tmp_path / "bsm.duckdb"
    load(d.write(tmp_path / "d"), db, tmp_path / "key", allow_unassigned=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        flows = con.sql(
            "SELECT from_area, to_area, sum(movers)::INT FROM move_flows "
            "WHERE layer = 'almen_boligomraade' GROUP BY ALL"
        ).fetchall()
        [tally] = con.sql("SELECT * FROM move_areas WHERE layer = 'almen_boligomraade'").pl().to_dicts()
    finally:
        con.close()
    assert sorted(flows) == [("X", "", 2)]  # p1 (a1 → b1) and p7 (a1 → a2) left X; p2 stayed
    assert (tally["out_external"], tally["in_external"], tally["births"]) == (2, 0, 1)
    assert (tally["residents_before"], tally["residents_after"]) == (3, 2)  # p1, p2, p7 → p2, p5


def test_area_tallies(db: Path) -> None:
    areas = {r["area_id"]: r for r in tables(db)["move_areas"].iter_rows(named=True)}
    a, b = areas["A"], areas["B"]
    assert (a["in_internal"], a["in_external"], a["out_internal"], a["out_external"]) == (0, 1, 1, 0)
    assert (a["births"], a["residents_before"], a["residents_after"]) == (1, 3, 4)
    assert (b["in_internal"], b["out_external"], b["ended"]) == (1, 1, 1)
    assert (b["residents_before"], b["residents_after"]) == (2, 1)


def test_turnover_is_published_only_when_its_parts_are(db: Path) -> None:
    from boligsocial.publish.service import Service, audience

    [a] = Service(db).area_moves("omraade", "A")["tallies"]
    # A: in 1 (p6), out 1 (p1), residents 3 → 4: (1 + 1) / (3 + 4)
    assert (a["in_total"], a["out_total"], a["net"]) == (1, 1, 0)
    assert a["turnover"] is None and a["turnover_state"] == "suppressed"  # a share of 7 persons is too few
    [published] = Service(db).area_moves("omraade", "A", audience("politician"))["tallies"]
    assert published["in_total"] is None and published["net"] is None  # made of counts of 1


def test_mover_profiles(db: Path) -> None:
    profiles = {(r["area_id"], r["group"]): r for r in tables(db)["mover_profiles"].iter_rows(named=True)}
    assert profiles[("A", "in")]["persons"] == 1 and profiles[("A", "in")]["mean_age"] == 30  # p6
    assert profiles[("A", "out")]["persons"] == 1 and profiles[("A", "out")]["mean_age"] == 40  # p1
    assert profiles[("A", "stay")]["persons"] == 2  # p2 and p7; the newborn p5 is a birth, no stayer
    assert profiles[("B", "out")]["persons"] == 1  # p3; p4 ended and is no mover
    assert float(profiles[("A", "in")]["labour_sum"]) == 1.0


def test_labour_decomposition_by_hand(db: Path) -> None:
    d = {(r["area_id"], r["criterion"]): r for r in tables(db)["move_decomposition"].iter_rows(named=True)}
    a = d[("A", "labour")]
    # 2020 in A aged 18-64: p1 (0), p2 (1), p7 (0.5) → 1.5/3; 2021: p2 (1), p6 (1), p7 (0.5) → 2.5/3
    assert a["before"] == 0.5 and abs(a["after"] - 2.5 / 3) < 1e-12
    # stayers p2, p7: mean 0.75 both years → own change 0; in-mover p6 (1): 1/3 × (1 - 0.75);
    # out-mover p1 (0): -1/3 × (0 - 0.75)
    assert a["stayers"] == 0 and abs(a["in_movers"] - 1 / 12) < 1e-12 and abs(a["out_movers"] - 0.25) < 1e-12
    assert a["ageing_in"] == 0 and a["ageing_out"] == 0
    parts = a["stayers"] + a["in_movers"] + a["out_movers"] + a["ageing_in"] + a["ageing_out"]
    assert abs(parts - a["change"]) < 1e-12


groups = st.tuples(st.integers(0, 50), st.fractions(0, 1))


@given(
    st.fixed_dictionaries(
        {"stay_before": groups, "in": groups, "out": groups, "age_in": groups, "age_out": groups}
    ),
    st.fractions(0, 1),
)
def test_the_parts_add_up_exactly_to_the_change(
    g: dict[str, tuple[int, Fraction]], after_mean: Fraction
) -> None:
    data = {k: (n, share * n) for k, (n, share) in g.items()}
    data["stay_after"] = (data["stay_before"][0], after_mean * data["stay_before"][0])
    result = decompose(data)
    n1 = data["stay_before"][0] + data["in"][0] + data["age_in"][0]
    n0 = data["stay_before"][0] + data["out"][0] + data["age_out"][0]
    if not n1 or not n0:
        assert result is None
        return
    assert result is not None
    assert result.parts == result.change  # exact: fractions, no tolerance
    assert result.after == (data["stay_after"][1] + data["in"][1] + data["age_in"][1]) / n1


def test_bsm_flows_by_area_and_for_an_audience(db: Path) -> None:
    import csv
    import io

    from typer.testing import CliRunner

    from boligsocial.outputs.cli import app

    runner = CliRunner()
    exact = runner.invoke(
        app, ["flows", "--db", str(db), "--from", "2021", "--to", "2021", "--format", "csv"]
    )
    assert exact.exit_code == 0, exact.output
    rows = {(r["from"], r["to"]): r for r in csv.DictReader(io.StringIO(exact.stdout))}
    assert set(rows) == {("A", "B"), ("A", "A"), ("", "A"), ("B", "")} and rows[("A", "B")]["movers"] == "1.0"
    published = runner.invoke(app, ["flows", "--db", str(db), "--format", "csv", "--audience", "politician"])
    shown = list(csv.DictReader(io.StringIO(published.stdout)))
    assert shown
    for r in shown:  # 1 mover is a small count: "<5", or no label where labels would pin each other
        assert r["movers"] == "" and (r["state"], r["label"]) in (("small", "<5"), ("suppressed", ""))
    bad = runner.invoke(app, ["flows", "--db", str(db), "--by", "colour"])
    assert bad.exit_code == 1 and words("da")("error.unknown-grouping", by="colour") in bad.output


def test_displacement_says_where_out_movers_went_and_their_effect(tmp_path: Path) -> None:
    from boligsocial.publish.service import Service

    db = tmp_path / "bsm.duckdb"
    d = delivery()
    # p8 (outside the labour market) also moves A → B, where p1 (employed) arrived too
    d.persons += [
        person(2020, "p8", "a2", "1975-01-01", outside_fte=1.0),
        person(2021, "p8", "b1", "1975-01-01", outside_fte=1.0),
    ]
    load(d.write(tmp_path / "d"), db, tmp_path / "key")
    [row] = Service(db).displacement("omraade", "A")
    assert (row["year"], row["to_area"], row["movers"]) == (2021, "B", 2)
    # B at the end of 2021, aged 18-64: p1 (0) and p8 (1). Without the two from A nobody is left,
    # so the effect on B cannot be computed; the trait of the movers is 1 FTE of 2
    assert row["trait_share"] is None or row["trait_share"] == 0.5
    assert row["impact_pp"] is None and row["criterion"] == "labour"
    [young] = Service(db).displacement("omraade", "A", criterion="nonwestern")
    assert young["criterion"] == "nonwestern" and young["movers"] == 2


def test_the_decomposition_measures_the_populations_of_the_rule_set(tmp_path: Path) -> None:
    """The moves read the criteria's age bands from the newest rule set, as the lists do: with
    `labour_ages = [18, 45]` p2 (50 and 51 years old) leaves area A's labour population."""
    from importlib import resources

    shipped = (
        resources.files("boligsocial.compute.rulesets").joinpath("2021.toml").read_text(encoding="utf-8")
    )
    assert "labour_ages = [18, 64]" in shipped
    rules = tmp_path / "2021.toml"
    rules.write_text(shipped.replace("labour_ages = [18, 64]", "labour_ages = [18, 45]"), encoding="utf-8")
    db = tmp_path / "bsm.duckdb"
    load(delivery().write(tmp_path / "d"), db, tmp_path / "key", rule_files=[rules])
    con = duckdb.connect(str(db), read_only=True)
    try:
        decomposition = con.sql("SELECT * FROM move_decomposition").pl()
    finally:
        con.close()
    a = decomposition.filter((pl.col("area_id") == "A") & (pl.col("criterion") == "labour")).row(
        0, named=True
    )
    # 2020 in A aged 18-45: p1 (40, 0), p7 (35, 0.5) → 0.25; 2021: p6 (30, 1), p7 (36, 0.5) → 0.75
    assert a["before"] == 0.25 and a["after"] == 0.75
    # the one stayer p7 is 0.5 both years; p6 in: ½ × (1 - 0.5); p1 out: -½ × (0 - 0.5)
    assert a["stayers"] == 0 and a["in_movers"] == 0.25 and a["out_movers"] == 0.25
