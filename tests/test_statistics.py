"""The pieces the disclosure step reasons with: atoms (every area is a union of them, and its
figures are their sums) and the differences between statistics an attacker can form."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from boligsocial.compute.statistics import canonical, derivations
from boligsocial.geo.atoms import build_atoms
from boligsocial.pipeline import load
from builders import SmallDelivery


def test_atoms_are_the_combinations_of_areas_an_address_lies_in() -> None:
    assignment = pl.DataFrame(
        {
            "layer": ["omraade", "omraade", "omraade", "landsby"],
            "address_id": ["a1", "a2", "b1", "a1"],
            "area_id": ["A", "A", "B", "V"],
            "year_from": [2020, 2020, 2020, 2020],
            "year_to": [2021, 2021, 2021, 2021],
        },
        schema_overrides={"year_from": pl.Int32, "year_to": pl.Int32},
    )
    atoms = build_atoms(assignment, pl.Series(["a1", "a2", "b1", "c1"]), [2021])
    of = dict(atoms.addresses.select("address_id", "atom_id").iter_rows())
    assert len(set(of.values())) == 4  # A∩V, A∖V, B, and c1 in no area at all
    assert of["c1"] == "none"
    members = atoms.members.filter(pl.col("atom_id") == of["a1"])
    assert set(members.select("layer", "area_id").iter_rows()) == {("omraade", "A"), ("landsby", "V")}
    # the same combination keeps its id from one year (and load) to the next
    again = build_atoms(assignment, pl.Series(["a1", "a2", "b1", "c1"]), [2020, 2021])
    assert again.addresses.filter(pl.col("address_id") == "a1").get_column("atom_id").unique().to_list() == [
        of["a1"]
    ]


def test_every_area_figure_is_the_sum_of_its_atoms(
    tmp_path: Path, small: SmallDelivery, key_file: Path
) -> None:
    db = tmp_path / "bsm.duckdb"
    load(small.write(tmp_path / "d"), db, key_file)
    con = duckdb.connect(str(db), read_only=True)
    try:
        areas = con.execute(
            "SELECT layer, area_id, year, numerator, denominator FROM indicator_values "
            "WHERE indicator = 'convicted_18plus' AND housing_type = '*' AND layer <> 'kommune'"
        ).fetchall()
        atoms = dict(
            ((r[0], r[1], r[2]), (r[3], r[4]))
            for r in con.execute(
                "SELECT m.layer, m.area_id, v.year, "
                "sum(v.value) FILTER (WHERE v.statistic = 'ind:convicted_18plus:num'), "
                "sum(v.value) FILTER (WHERE v.statistic = 'ind:convicted_18plus:den') "
                "FROM atom_values v JOIN atoms m USING (year, atom_id) GROUP BY ALL"
            ).fetchall()
        )
    finally:
        con.close()
    assert areas
    for layer, area, year, num, den in areas:
        assert atoms[(layer, area, year)] == (num, den), (layer, area, year)


def _kinds(people: list[set[str]]) -> list[frozenset[str]]:
    return [frozenset(p) for p in people]


def test_the_seventeen_year_olds_are_found_as_a_difference() -> None:
    # kinds of person: aged 16, 17, 18-29 and older, by which counts they are in
    kinds = _kinds(
        [
            {"all", "16-29"},  # 16
            {"all", "16-29", "17-29"},  # 17
            {"all", "16-29", "17-29", "18-29"},  # 18-29
            {"all"},  # older
        ]
    )
    found = {d.coefficients for d in derivations(kinds, ["all", "16-29", "17-29", "18-29"])}
    assert (("17-29", 1), ("18-29", -1)) in found  # the 17-year-olds
    assert (("16-29", 1), ("17-29", -1)) in found  # the 16-year-olds
    assert all(min(c for _, c in d) < 0 for d in found)  # a pure sum of counts is safe: not listed


def test_a_split_into_many_parts_is_found_whatever_its_size() -> None:
    # residents split into seven housing types: each is the residents minus the other six
    types = [f"h{i}" for i in range(7)]
    kinds = _kinds([{"all", h} for h in types])
    found = {d.coefficients for d in derivations(kinds, ["all", *types])}
    for h in types:
        assert tuple(sorted({"all": 1, **{o: -1 for o in types if o != h}}.items())) in found


def test_counts_of_the_same_persons_are_one_statistic() -> None:
    kinds = _kinds([{"ind:a:den", "crit:x:n"}, {"ind:a:den", "crit:x:n", "ind:b:num"}])
    same = canonical(kinds, ["ind:a:den", "crit:x:n", "ind:b:num"])
    assert same == {"ind:a:den": "ind:a:den", "crit:x:n": "ind:a:den", "ind:b:num": "ind:b:num"}
