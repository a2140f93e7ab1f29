"""The computing steps of a load, each writing its tables inside the load's transaction:
indicators and statistics per atom, the lists and their forecast, the moves, the traffic lights."""

from __future__ import annotations

import duckdb
import polars as pl

from boligsocial.compute import statistics as st
from boligsocial.compute.backtest import history_until
from boligsocial.compute.catalogue import Indicator
from boligsocial.compute.forecast import forecast
from boligsocial.compute.indicators import MUNICIPALITY_LAYER
from boligsocial.compute.lists import DISAGREEMENT_SCHEMA, Ages, compute_lists, results_frame
from boligsocial.compute.moves import decompositions, moves_in
from boligsocial.compute.rulesets import RuleBook
from boligsocial.compute.trafficlight import Model, colours, inputs
from boligsocial.geo.atoms import ATOM_LAYER, Atoms, aggregate
from boligsocial.store.database import (
    frame,
    list_inputs,
    replace_rows,
)


def write_lists(
    con: duckdb.DuckDBPyConnection, book: RuleBook, measures: dict[Ages, pl.DataFrame], region: str
) -> None:
    """Compute every list year the data allow and store results and disagreements."""
    areas, reference, official = list_inputs(con, region)
    rows, disagree = compute_lists(book, measures, areas, reference, official)
    results = results_frame(rows, book)
    replace_rows(con, "list_results", results, None)
    replace_rows(con, "list_disagreements", pl.DataFrame(disagree, schema=DISAGREEMENT_SCHEMA), None)
    latest = book.for_year(max(results.get_column("list_year").to_list()) + 1) if results.height else None
    if latest is not None:
        criteria, lists = forecast(
            book, measures[latest.ages()], areas, reference, history_until(official, results, 9999)
        )
        replace_rows(con, "forecast_criteria", criteria, None)
        replace_rows(con, "forecast_lists", lists, None)


def from_atoms(per_atom: pl.DataFrame, atoms: Atoms, keys: list[str], sums: list[str]) -> pl.DataFrame:
    """Figures per area of every layer as sums of the figures per atom, plus the municipality's
    own rows: every published area figure is then exactly the sum over its atoms."""
    own = per_atom.filter(pl.col("layer") != ATOM_LAYER)
    summed = aggregate(per_atom.filter(pl.col("layer") == ATOM_LAYER), atoms.members, keys, sums)
    return pl.concat([summed.select(own.columns).cast(own.schema), own])


def write_statistics(
    con: duckdb.DuckDBPyConnection,
    residents: pl.DataFrame,
    addresses: pl.DataFrame,
    atoms: Atoms,
    indicators: list[Indicator],
    per_atom: pl.DataFrame,
    atom_measures: dict[Ages, pl.DataFrame],
    code: str,
) -> None:
    """What the disclosure step needs: the atoms, every statistic per atom, which statistics are
    the same, and the differences between statistics an attacker can form (`statistics`)."""
    zero_one = st.zero_one_values(residents, addresses, indicators, code)
    defined = [s for i in indicators for s in st.indicator_statistics(i, zero_one[i.id])]
    defined += [s for ages in atom_measures for s in st.criteria_statistics(ages)]
    defined += st.housing_statistics()
    counts = [s for s in defined if s.kind == st.COUNT]
    kinds = st.patterns(residents, addresses, counts, code)
    atoms_only = pl.col("layer") == ATOM_LAYER
    values = st.statistic_values(
        per_atom.filter(atoms_only), {ages: m.filter(atoms_only) for ages, m in atom_measures.items()}
    )
    same = st.canonical(kinds, [s.id for s in counts]) | st.canonical_sums(
        values, [s.id for s in defined if s.kind == st.SUM]
    )
    kept = set(same.values())
    derived = st.derivations(kinds, {same[s.id] for s in counts})
    replace_rows(con, "atoms", atoms.members, None)
    replace_rows(con, "atom_values", values.filter(pl.col("statistic").is_in(list(kept))), None)
    replace_rows(
        con,
        "statistics",
        pl.DataFrame(
            [{"id": s.id, "kind": s.kind, "canonical": same.get(s.id, s.id)} for s in defined],
            schema={"id": pl.String, "kind": pl.String, "canonical": pl.String},
        ),
        None,
    )
    replace_rows(
        con,
        "statistic_relations",
        pl.DataFrame(
            [
                {"derivation": n, "statistic": s, "coefficient": c}
                for n, d in enumerate(derived)
                for s, c in d.coefficients
            ],
            schema={"derivation": pl.Int32, "statistic": pl.String, "coefficient": pl.Int32},
        ),
        None,
    )


MOVE_TABLES = (
    "move_displaced",
    "move_flows",
    "move_areas",
    "mover_profiles",
    "move_decomposition",
)


def write_moves(con: duckdb.DuckDBPyConnection, years: list[int], ages: Ages) -> None:
    """Flows, per-area tallies, mover profiles and the exact decomposition for every layer, between
    consecutive data `years` (sorted), for the criteria of age bands `ages` (the newest rule set's)."""
    if len(years) < 2:
        return
    # computed inside the database, where the person-years already are (no copy into a new one)
    con.execute("CREATE OR REPLACE TEMP VIEW residents AS SELECT * FROM persons WHERE address_id IS NOT NULL")
    con.execute("CREATE OR REPLACE TEMP VIEW assignment AS SELECT * FROM address_areas")
    has_moves = bool(con.execute("SELECT count(*) FROM moves").fetchall()[0][0])
    m = moves_in(con, years, has_moves, ages)
    for table, data in zip(
        MOVE_TABLES,
        (m.displaced, m.flows, m.areas, m.profiles, decompositions(m.groups)),
        strict=True,
    ):
        replace_rows(con, table, data, None)


def write_traffic_lights(con: duckdb.DuckDBPyConnection, models: list[Model]) -> None:
    """Colours of every model for every area and year, from the stored lists and indicators."""
    results = frame(con, "SELECT * FROM list_results")
    values = frame(con, "SELECT * FROM indicator_values WHERE housing_type = '*'")
    replace_rows(con, "traffic_light", colours(models, results, values, MUNICIPALITY_LAYER), None)
    replace_rows(
        con,
        "traffic_light_models",
        pl.DataFrame(
            [
                {"model": m.id, "kind": m.kind, "inputs": ",".join(inputs(m))}
                | {"label_da": m.label_da, "label_en": m.label_en}
                for m in models
            ],
            schema={c: pl.String for c in ("model", "kind", "inputs", "label_da", "label_en")},
        ),
        None,
    )


def write_indicators(
    con: duckdb.DuckDBPyConnection, catalogue: list[Indicator], values: pl.DataFrame
) -> None:
    """Store the catalogue used and all indicator values (recomputed for every year on each load)."""
    definitions = pl.DataFrame(
        [
            {
                "id": i.id,
                "topic": i.topic,
                "label_da": i.label_da,
                "label_en": i.label_en,
                "unit": i.unit,
                "population": i.population.source,
                "value": i.value.source,
                "description_da": i.description_da,
                "description_en": i.description_en,
            }
            for i in catalogue
        ]
    )
    replace_rows(con, "indicators", definitions, None)
    replace_rows(con, "indicator_values", values, None)
