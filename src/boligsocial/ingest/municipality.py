"""municipality.toml: who delivered, in which region, in which coordinate reference system."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pyproj import CRS
from pyproj.exceptions import CRSError

from boligsocial.common.problems import Problem
from boligsocial.contract import REGIONS, STORAGE_CRS

FILE = "municipality.toml"


@dataclass(frozen=True)
class Municipality:
    """The delivering municipality; `crs` is the CRS of the address coordinates."""

    name: str
    code: str
    region: str
    crs: str = STORAGE_CRS


def read_municipality(delivery: Path) -> tuple[Municipality | None, list[Problem]]:
    """Parse and check municipality.toml, returning every problem found rather than the first."""
    path = delivery / FILE
    if not path.is_file():
        return None, [
            Problem(
                "missing-file",
                f"{FILE} is missing from the delivery",
                file=FILE,
                allowed="a TOML file with name, code, region and crs",
            )
        ]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return None, [Problem("unreadable-file", f"{FILE} is not valid TOML: {exc}", file=FILE)]
    problems: list[Problem] = []
    for key in ("name", "code", "region"):
        if not str(data.get(key, "")).strip():
            problems.append(Problem("bad-config", f"{FILE} lacks '{key}'", file=FILE, column=key))
    code = str(data.get("code", "")).strip()
    if code and not (code.isdigit() and len(code) == 3):
        problems.append(
            Problem(
                "bad-config",
                f"{FILE}: code must be the 3-digit municipality code",
                file=FILE,
                column="code",
                value=code,
                allowed="e.g. 630",
            )
        )
    region = str(data.get("region", "")).strip()
    if region and region not in REGIONS:
        problems.append(
            Problem(
                "bad-config",
                f"{FILE}: unknown region code",
                file=FILE,
                column="region",
                value=region,
                allowed=", ".join(sorted(REGIONS)),
            )
        )
    crs = str(data.get("crs", STORAGE_CRS))
    try:
        crs = CRS.from_user_input(crs).to_string()
    except CRSError:
        problems.append(
            Problem(
                "bad-config",
                f"{FILE}: unknown CRS",
                file=FILE,
                column="crs",
                value=crs,
                allowed="an EPSG code such as EPSG:25832",
            )
        )
    if problems:
        return None, problems
    return Municipality(str(data["name"]).strip(), code, region, crs), []
