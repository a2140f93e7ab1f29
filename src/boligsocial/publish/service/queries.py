"""`Service`: every query over one database (areas, lists, moves) in one object, and the thin
functions the command line asks it through (`bsm lists`, `bsm flows`, `bsm forecast`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from boligsocial.common.errors import InvalidParameter
from boligsocial.compute.backtest import Calibration
from boligsocial.publish import disclosure as dc
from boligsocial.publish.service.areas import AreaQueries
from boligsocial.publish.service.lists import ListQueries
from boligsocial.publish.service.moves import MoveQueries
from boligsocial.publish.service.snapshot import Viewer


class Service(AreaQueries, ListQueries, MoveQueries):
    """Queries over one database for the CLI, the API and the pages."""


# --- thin functions for the CLI (one database, one question) -----------------------------------


def audience(role: str | None) -> Viewer:
    """The viewer a CLI output is published for: the operator (analyst policy) unless a role is
    named (`--audience`), for outputs meant for publication."""
    if role is None:
        return Viewer.operator()
    if role not in dc.AUDIENCE_OF_ROLE:
        raise InvalidParameter(
            "unknown-audience",
            f"unknown audience '{role}'",
            {"allowed": sorted(dc.AUDIENCE_OF_ROLE)},
            params={"role": role},
        )
    return Viewer(role, dc.load_policies()[dc.AUDIENCE_OF_ROLE[role]])


def list_results(
    db: Path,
    year: int | None = None,
    layer: str | None = "omraade",
    without_origin: bool = False,
    rule_files: list[Path] | None = None,
    role: str | None = None,
) -> pl.DataFrame:
    """`bsm lists`: see `Service.lists`."""
    return Service(db).lists(year, layer, without_origin, rule_files, audience(role))


def flows_table(
    db: Path,
    by: str,
    year_from: int | None,
    year_to: int | None,
    layer: str,
    role: str | None = None,
    trait: str | None = None,
    area: str | None = None,
    housing_type: str | None = None,
) -> pl.DataFrame:
    """`bsm flows`."""
    return Service(db).flows(by, year_from, year_to, layer, audience(role), trait, area, housing_type)


def list_disagreements(db: Path) -> pl.DataFrame:
    """`bsm lists --disagreements`."""
    return Service(db).disagreements()


def forecast_table(
    db: Path, year: int | None = None, layer: str | None = "omraade", role: str | None = None
) -> pl.DataFrame:
    """`bsm forecast`."""
    return Service(db).forecast(year, layer, audience(role))


def backtest_report(db: Path, layer: str = "omraade") -> tuple[Calibration, Calibration]:
    """`bsm forecast --backtest`."""
    return Service(db).backtest(layer)
