"""municipality.toml: who delivered, in which region, in which coordinate reference system."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema
from pyproj import CRS
from pyproj.exceptions import CRSError

from boligsocial.common.config import Invalid, Table, TextOrNumber, check
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


def _code(code: str) -> str:
    if not (code.isdigit() and len(code) == 3):
        raise Invalid("config.municipality_code", repr(code))
    return code


def _region(region: str) -> str:
    if region not in REGIONS:
        raise Invalid("config.region_code", repr(region), ", ".join(sorted(REGIONS)))
    return region


def _crs(crs: str) -> str:
    try:
        return str(CRS.from_user_input(crs).to_string())
    except CRSError:
        raise Invalid("config.unknown_crs", repr(crs)) from None


Stripped = Annotated[TextOrNumber, AfterValidator(str.strip)]


class MunicipalityFile(Table):
    """municipality.toml: who delivered, in which region, in which coordinate reference system."""

    model_config = ConfigDict(title="boligsocial municipality.toml")

    name: Annotated[Stripped, Field(min_length=1)] = Field(
        description='The name of the municipality, e.g. "Vejle Kommune".'
    )
    code: Annotated[
        Stripped,
        AfterValidator(_code),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "pattern": "^ *[0-9]{3} *$"},
                    {"type": "integer", "minimum": 100, "maximum": 999},
                ]
            }
        ),
    ] = Field(description='The 3-digit municipality code, e.g. "630".')
    region: Annotated[
        Stripped,
        AfterValidator(_region),
        WithJsonSchema({"enum": [*sorted(REGIONS), *sorted(map(int, REGIONS))]}),
    ] = Field(description="The region code, 1081-1085.")
    crs: Annotated[TextOrNumber, AfterValidator(_crs)] = Field(
        default=STORAGE_CRS,
        description='The coordinate reference system of the address coordinates, e.g. "EPSG:25832".',
    )


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
    file, issues = check(MunicipalityFile, data)
    if file is None:
        return None, [
            Problem(
                "bad-config",
                issue.line(FILE),
                file=FILE,
                column=issue.path or None,
                value=issue.value,
                allowed=issue.allowed or issue.hint,
            )
            for issue in issues
        ]
    return Municipality(file.name, file.code, file.region, file.crs), []
