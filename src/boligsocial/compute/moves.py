"""Moves: who moved where between two year-ends, and what that did to each area.

A *transition* compares a person's residence at the end of Y-1 with the end of Y (the register
view: DST's 1 January). Kinds: `stay` (same address), `move` (another address in the
municipality), `in` (not resident at Y-1), `out` (not resident at Y, with an out-move in
moves.csv or still living elsewhere in the municipality), `birth` (new resident aged 0) and
`ended` (gone without an out-move: death or unknown; without moves.csv every departure is `out`).
Births and endings are not moves. Each person's pair of residences is found once and then placed
in every layer's areas. Computed in SQL where the person-years are; only aggregates come out.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import duckdb
import polars as pl

from boligsocial.common.sql import ident
from boligsocial.compute.lists import Ages
from boligsocial.contract import LOW_EDUCATION

#: Criteria for the decomposition: population condition and value per person (SQL on p-rows).
#: `{labour}`, `{crime}`, `{education}` and `{income}` are the rule set's age bands (`bands`), so
#: the moves decompose the very populations the lists count.
CRITERIA = {
    "labour": ("{p}age {labour}", "{p}fte"),
    "crime": ("{p}age {crime}", "CAST({p}convicted AS INTEGER)"),
    "education": ("{p}age {education}", "CAST({p}low_edu AS INTEGER)"),
    "income": ("{p}age {income} AND {p}income_pop", "{p}income"),
    "nonwestern": ("{p}age >= 0", "CAST({p}nonwestern AS INTEGER)"),
}

#: Traits a flow can be filtered on: persons with the trait, judged at the end of the move year
#: (at the end of the year before for those who left the municipality). SQL on p-prefixed columns.
TRAITS = {
    "outside_labour": "{p}age {labour} AND {p}fte >= 0.5",
    "low_education": "{p}age {education} AND {p}low_edu",
    "nonwestern": "{p}nonwestern",
    "convicted": "{p}age {crime} AND {p}convicted",
    "children": "{p}age < 18",
    "seniors": "{p}age >= 65",
}

_PLACED = """
CREATE TEMP TABLE p AS
SELECT r.year, r.person_key, r.address_id, a.housing_type, r.age,
       CAST(coalesce(r.outside_fte, 0) AS DECIMAL(18, 6)) AS fte,
       coalesce(r.education IN ({low}), false) AS low_edu,
       CAST(r.gross_income AS DECIMAL(18, 2)) AS income,
       coalesce(r.taxable AND NOT r.student AND r.gross_income IS NOT NULL, false) AS income_pop,
       coalesce(r.nonwestern, false) AS nonwestern, coalesce(r.convicted, false) AS convicted
FROM residents r JOIN addresses a USING (address_id)
"""

# each person's residence at the end of Y-1 (a) and of Y (b), once for all layers
_PAIRS = """
CREATE TEMP TABLE pairs AS
WITH outmoves AS (SELECT DISTINCT person_key, year(move_date) AS year FROM moves WHERE to_address_id IS NULL)
SELECT j.* EXCLUDE (person_key), o.person_key IS NOT NULL AS moved_out FROM (
    SELECT coalesce(b.year, a.year + 1) AS year, coalesce(a.person_key, b.person_key) AS person_key,
           a.person_key IS NOT NULL AS present_before, b.person_key IS NOT NULL AS present_after,
           a.address_id AS from_address, b.address_id AS to_address,
           a.address_id = b.address_id AS same_address,
           a.housing_type AS from_housing, b.housing_type AS to_housing,
           a.age AS a_age, a.fte AS a_fte, a.low_edu AS a_low_edu, a.income AS a_income,
           a.income_pop AS a_income_pop, a.nonwestern AS a_nonwestern, a.convicted AS a_convicted,
           b.age AS b_age, b.fte AS b_fte, b.low_edu AS b_low_edu, b.income AS b_income,
           b.income_pop AS b_income_pop, b.nonwestern AS b_nonwestern, b.convicted AS b_convicted
    FROM (SELECT * FROM p WHERE year < {last}) a
    FULL OUTER JOIN (SELECT * FROM p WHERE year > {first}) b
      ON a.person_key = b.person_key AND b.year = a.year + 1
) j
LEFT JOIN outmoves o ON o.person_key = j.person_key AND o.year = j.year
"""

# the pairs placed in one layer's areas; persons in none of its areas either year are left out
_LAYER = """
SELECT '{layer}' AS layer, x.* EXCLUDE (from_address, to_address, same_address, present_before,
       present_after, moved_out), sa.area_id AS from_area, sb.area_id AS to_area,
    CASE
        WHEN sa.area_id IS NULL AND NOT x.present_before AND x.b_age = 0 THEN 'birth'
        WHEN sa.area_id IS NULL THEN 'in'
        WHEN sb.area_id IS NULL AND (x.present_after OR x.moved_out OR NOT {has_moves}) THEN 'out'
        WHEN sb.area_id IS NULL THEN 'ended'
        WHEN x.same_address THEN 'stay'
        ELSE 'move'
    END AS kind
FROM pairs x
LEFT JOIN assignment sa ON sa.layer = '{layer}' AND sa.address_id = x.from_address
     AND x.year - 1 BETWEEN sa.year_from AND sa.year_to
LEFT JOIN assignment sb ON sb.layer = '{layer}' AND sb.address_id = x.to_address
     AND x.year BETWEEN sb.year_from AND sb.year_to
WHERE sa.area_id IS NOT NULL OR sb.area_id IS NOT NULL
"""


@dataclass
class MoveTables:
    """Aggregated results: flows (per layer, area and housing type pair, with trait counts), moves
    between areas for displacement, per-area tallies, mover profiles and the decomposition's group
    sums."""

    flows: pl.DataFrame
    displaced: pl.DataFrame
    areas: pl.DataFrame
    profiles: pl.DataFrame
    groups: pl.DataFrame


def bands(ages: Ages) -> dict[str, str]:
    """The rule set's age bands ((labour), (crime), (education), (income)) as SQL conditions on
    an age (`BETWEEN 18 AND 64`), by criterion."""
    names = ("labour", "crime", "education", "income")
    return {n: f"BETWEEN {int(lo)} AND {int(hi)}" for n, (lo, hi) in zip(names, ages, strict=True)}


def _profile_columns(prefix: str, band: dict[str, str]) -> str:
    p, labour, education = prefix, band["labour"], band["education"]
    income = f"{p}age {band['income']} AND {p}income_pop"
    return (
        f"avg({p}age) AS mean_age, "
        f"count(*) FILTER (WHERE {p}age {labour}) AS labour_n, "
        f"coalesce(sum({p}fte) FILTER (WHERE {p}age {labour}), 0) AS labour_sum, "
        f"count(*) FILTER (WHERE {p}age {education}) AS education_n, "
        f"count(*) FILTER (WHERE {p}age {education} AND {p}low_edu) AS education_count, "
        f"count(*) FILTER (WHERE {income}) AS income_n, "
        f"coalesce(sum({p}income) FILTER (WHERE {income}), 0) AS income_sum, "
        f"count(*) FILTER (WHERE {p}nonwestern) AS nonwestern"
    )


def moves_in(con: duckdb.DuckDBPyConnection, years: list[int], has_moves: bool, ages: Ages) -> MoveTables:
    """The move tables computed where the data already are: `con` has `residents`, `addresses`,
    `assignment` and `moves` (tables or views); only temporary tables are added. `ages` are the
    age bands of the rule set whose criteria the moves are measured by (the newest)."""
    band = bands(ages)
    low = ", ".join(f"'{c}'" for c in sorted(LOW_EDUCATION))
    con.execute(_PLACED.format(low=low))
    con.execute(_PAIRS.format(first=years[0], last=years[-1]))
    layers = [r[0] for r in con.execute("SELECT DISTINCT layer FROM assignment ORDER BY 1").fetchall()]
    placed = " UNION ALL ".join(
        _LAYER.format(layer=layer.replace("'", "''"), has_moves="true" if has_moves else "false")
        for layer in layers
    )
    con.execute(f"CREATE TEMP TABLE t AS {placed}")
    con.execute("DROP TABLE pairs")
    traits = _trait_counts(band)
    moving = "kind IN ('move', 'in', 'out')"
    # the finest flow table: the service sums it by area, housing type or kind of area, and filters it
    flows = con.sql(f"""
        SELECT layer, year, coalesce(from_area, '') AS from_area, coalesce(to_area, '') AS to_area,
               coalesce(from_housing, '') AS from_housing, coalesce(to_housing, '') AS to_housing,
               count(*) AS movers, {traits}
        FROM t WHERE {moving} GROUP BY ALL ORDER BY ALL""").pl()
    # movers between areas with each share criterion's population and count after the move
    displaced = con.sql(f"""
        SELECT layer, year, from_area, to_area, count(*) AS movers, {_displacement_columns(band)}
        FROM t WHERE kind = 'move' AND from_area <> to_area GROUP BY ALL ORDER BY ALL""").pl()
    tally = con.sql("""
        WITH sides AS (
            SELECT layer, year, to_area AS area_id, kind, from_area IS NULL AS external, 'in' AS side
            FROM t WHERE to_area IS NOT NULL AND (from_area IS NULL OR from_area <> to_area)
            UNION ALL
            SELECT layer, year, from_area, kind, to_area IS NULL, 'out'
            FROM t WHERE from_area IS NOT NULL AND (to_area IS NULL OR from_area <> to_area)
        ), before AS (
            SELECT layer, year, from_area AS area_id, count(*) AS residents FROM t
            WHERE from_area IS NOT NULL GROUP BY ALL
        ), after AS (
            SELECT layer, year, to_area AS area_id, count(*) AS residents FROM t
            WHERE to_area IS NOT NULL GROUP BY ALL
        )
        SELECT s.layer, s.year, s.area_id,
            count(*) FILTER (WHERE side = 'in' AND kind <> 'birth' AND NOT external) AS in_internal,
            count(*) FILTER (WHERE side = 'in' AND kind = 'in') AS in_external,
            count(*) FILTER (WHERE side = 'out' AND kind <> 'ended' AND NOT external) AS out_internal,
            count(*) FILTER (WHERE side = 'out' AND kind = 'out') AS out_external,
            count(*) FILTER (WHERE kind = 'birth') AS births,
            count(*) FILTER (WHERE kind = 'ended') AS ended,
            any_value(r0.residents) AS residents_before, any_value(r1.residents) AS residents_after
        FROM sides s
        LEFT JOIN before r0 ON r0.layer = s.layer AND r0.area_id = s.area_id AND r0.year = s.year
        LEFT JOIN after r1 ON r1.layer = s.layer AND r1.area_id = s.area_id AND r1.year = s.year
        GROUP BY ALL ORDER BY ALL""").pl()
    profiles = con.sql(f"""
        SELECT layer, year, to_area AS area_id, 'in' AS "group", count(*) AS persons, {_profile_columns("b_", band)}
        FROM t WHERE to_area IS NOT NULL AND (from_area IS NULL OR from_area <> to_area) AND kind <> 'birth'
        GROUP BY ALL
        UNION ALL
        SELECT layer, year, from_area, 'out', count(*), {_profile_columns("a_", band)}
        FROM t WHERE from_area IS NOT NULL AND (to_area IS NULL OR from_area <> to_area) AND kind <> 'ended'
        GROUP BY ALL
        UNION ALL
        SELECT layer, year, to_area, 'stay', count(*), {_profile_columns("b_", band)}
        FROM t WHERE from_area = to_area
        GROUP BY ALL
        ORDER BY ALL""").pl()
    after_sql, before_sql = _group_sums(band).split("; ")
    groups = pl.concat([_unpivot(con.sql(after_sql).pl()), _unpivot(con.sql(before_sql).pl())])
    con.execute("DROP TABLE t; DROP TABLE p")
    return MoveTables(flows, displaced, tally, profiles, groups)


def _trait_counts(band: dict[str, str]) -> str:
    """Movers with each trait (`TRAITS`), after the move or, for those who left, before it."""
    columns = []
    for name, cond in TRAITS.items():
        after, before = cond.format(p="b_", **band), cond.format(p="a_", **band)
        columns.append(
            f"count(*) FILTER (WHERE CASE WHEN b_age IS NOT NULL THEN coalesce({after}, false) "
            f"ELSE coalesce({before}, false) END) AS {ident(name)}"
        )
    return ", ".join(columns)


#: Criteria whose value is a share of persons, for displacement (income is a mean in kroner).
SHARE_CRITERIA = ("labour", "crime", "education", "nonwestern")


def _displacement_columns(band: dict[str, str]) -> str:
    """Per share criterion: movers in its population after the move, and their count or FTE sum."""
    columns = []
    for name in SHARE_CRITERIA:
        population, value = CRITERIA[name]
        cond, x = population.format(p="b_", **band), value.format(p="b_")
        columns.append(
            f"count(*) FILTER (WHERE {cond}) AS {ident(name + '_n')}, "
            f"CAST(coalesce(sum({x}) FILTER (WHERE {cond}), 0) AS DECIMAL(38, 6)) AS {ident(name + '_sum')}"
        )
    return ", ".join(columns)


def _group_sums(band: dict[str, str]) -> str:
    """Per layer, area, year and criterion: count and exact sum of each decomposition group, in two
    scans (groups seen from the area after the year, and from the area before it), then unpivoted."""
    same = "from_area = to_area"
    after: list[str] = []
    before: list[str] = []
    for name, (population, value) in CRITERIA.items():
        in_a, in_b = population.format(p="a_", **band), population.format(p="b_", **band)
        xa, xb = value.format(p="a_"), value.format(p="b_")
        stay = f"{same} AND ({in_a}) AND ({in_b})"
        moved_in = f"(from_area IS NULL OR from_area <> to_area) AND kind <> 'birth' AND ({in_b})"
        aged_in = f"(({same} AND NOT ({in_a}) AND ({in_b})) OR (kind = 'birth' AND ({in_b})))"
        moved_out = f"(to_area IS NULL OR from_area <> to_area) AND kind <> 'ended' AND ({in_a})"
        aged_out = f"(({same} AND ({in_a}) AND NOT ({in_b})) OR (kind = 'ended' AND ({in_a})))"
        conditions = [  # stayers are in the area and the population both years: after and before
            ("stay_after", xb, after, stay),
            ("in", xb, after, moved_in),
            ("age_in", xb, after, aged_in),
            ("stay_before", xa, before, stay),
            ("out", xa, before, moved_out),
            ("age_out", xa, before, aged_out),
        ]
        for group, x, side, cond in conditions:
            side.append(
                f"count(*) FILTER (WHERE {cond}) AS {ident(f'n|{name}|{group}')}, "
                f"CAST(coalesce(sum({x}) FILTER (WHERE {cond}), 0) AS DECIMAL(38, 6)) "
                f"AS {ident(f'x|{name}|{group}')}"
            )
    return (
        f"SELECT layer, year, to_area AS area_id, {', '.join(after)} FROM t WHERE to_area IS NOT NULL GROUP BY ALL; "
        f"SELECT layer, year, from_area AS area_id, {', '.join(before)} FROM t WHERE from_area IS NOT NULL "
        "GROUP BY ALL"
    )


def _unpivot(wide: pl.DataFrame) -> pl.DataFrame:
    """("n|crit|group", "x|crit|group") columns → rows of (criterion, group, n, total)."""
    keys = ["layer", "year", "area_id"]
    parts = []
    for col in wide.columns:
        if col.startswith("n|"):
            _, criterion, group = col.split("|")
            parts.append(
                wide.select(
                    *keys,
                    pl.lit(criterion).alias("criterion"),
                    pl.lit(group).alias("group"),
                    pl.col(col).alias("n"),
                    pl.col(f"x|{criterion}|{group}").alias("total"),
                )
            )
    return pl.concat(parts).filter(pl.col("n") > 0)


@dataclass(frozen=True)
class Decomposition:
    """v_after - v_before = stayers + in_movers + out_movers + ageing_in + ageing_out, exactly."""

    before: Fraction
    after: Fraction
    stayers: Fraction
    in_movers: Fraction
    out_movers: Fraction
    ageing_in: Fraction
    ageing_out: Fraction

    @property
    def change(self) -> Fraction:
        return self.after - self.before

    @property
    def parts(self) -> Fraction:
        return self.stayers + self.in_movers + self.out_movers + self.ageing_in + self.ageing_out


def decompose(g: dict[str, tuple[int, Fraction]]) -> Decomposition | None:
    """The exact decomposition from group (count, sum); None when the area had nobody in the
    population in one of the two years.

    With stayers' means s0 (before) and s1 (after) and group means and shares of the population:
    v1 = s1 + w_in (m_in - s1) + w_agein (m_agein - s1) and
    v0 = s0 + w_out (m_out - s0) + w_ageout (m_ageout - s0), so
    v1 - v0 = (s1 - s0) + w_in (m_in - s1) + w_agein (m_agein - s1)
              - w_out (m_out - s0) - w_ageout (m_ageout - s0).
    """
    n_s, x_s0 = g.get("stay_before", (0, Fraction(0)))
    _, x_s1 = g.get("stay_after", (0, Fraction(0)))
    n_i, x_i = g.get("in", (0, Fraction(0)))
    n_o, x_o = g.get("out", (0, Fraction(0)))
    n_ai, x_ai = g.get("age_in", (0, Fraction(0)))
    n_ao, x_ao = g.get("age_out", (0, Fraction(0)))
    n1, n0 = n_s + n_i + n_ai, n_s + n_o + n_ao
    if not n1 or not n0:
        return None
    s0 = x_s0 / n_s if n_s else Fraction(0)
    s1 = x_s1 / n_s if n_s else Fraction(0)

    def term(n: int, x: Fraction, total: int, base: Fraction) -> Fraction:
        return Fraction(n, total) * (x / n - base) if n else Fraction(0)

    return Decomposition(
        before=(x_s0 + x_o + x_ao) / n0,
        after=(x_s1 + x_i + x_ai) / n1,
        stayers=s1 - s0,
        in_movers=term(n_i, x_i, n1, s1),
        ageing_in=term(n_ai, x_ai, n1, s1),
        out_movers=-term(n_o, x_o, n0, s0),
        ageing_out=-term(n_ao, x_ao, n0, s0),
    )


def decompositions(groups: pl.DataFrame) -> pl.DataFrame:
    """One row per layer, area, year and criterion with the five exact parts (as floats)."""
    by_key: dict[tuple[Any, ...], dict[str, tuple[int, Fraction]]] = {}
    for r in groups.iter_rows(named=True):
        key = (r["layer"], r["area_id"], r["year"], r["criterion"])
        by_key.setdefault(key, {})[r["group"]] = (int(r["n"]), Fraction(r["total"]))
    rows = []
    for (layer, area_id, year, criterion), g in sorted(by_key.items()):
        d = decompose(g)
        if d is None:
            continue
        rows.append(
            {
                "layer": layer,
                "area_id": area_id,
                "year": year,
                "criterion": criterion,
                "before": float(d.before),
                "after": float(d.after),
                "change": float(d.change),
                "stayers": float(d.stayers),
                "in_movers": float(d.in_movers),
                "out_movers": float(d.out_movers),
                "ageing_in": float(d.ageing_in),
                "ageing_out": float(d.ageing_out),
                # group sizes, for the disclosure step (a mean of a small group is not published)
                **{
                    f"n_{k}": g.get(k, (0, Fraction(0)))[0]
                    for k in ("stay_before", "in", "out", "age_in", "age_out")
                },
            }
        )
    return pl.DataFrame(rows)
