"""The contract's code lists as data: the countries file is read whole and means what DST says."""

from __future__ import annotations

import csv
from importlib import resources

from boligsocial import contract


def test_the_countries_file_gives_every_iso_code_once_and_dsts_western_countries() -> None:
    text = resources.files("boligsocial.contract").joinpath("countries.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) == len(contract.ISO_COUNTRIES)
    assert all(len(c) == 2 and c.isascii() and c.isupper() for c in codes)
    assert {r["western"] for r in rows} == {"true", "false"}
    # DST's western countries: the EU-28 (with the UK) and twelve others, nothing else
    eu28 = set(
        [
            "AT",
            "BE",
            "BG",
            "HR",
            "CY",
            "CZ",
            "DK",
            "EE",
            "FI",
            "FR",
            "DE",
            "GR",
            "HU",
            "IE",
            "IT",
            "LV",
            "LT",
            "LU",
            "MT",
            "NL",
            "PL",
            "PT",
            "RO",
            "SK",
            "SI",
            "ES",
            "SE",
            "GB",
        ]
    )
    others = set(["AD", "IS", "LI", "MC", "NO", "SM", "CH", "VA", "CA", "US", "AU", "NZ"])
    assert eu28 | others == contract.WESTERN_COUNTRIES
    assert contract.WESTERN_COUNTRIES <= contract.ISO_COUNTRIES
    assert {"TR", "SY", "PK", "SO"} <= contract.ISO_COUNTRIES - contract.WESTERN_COUNTRIES
    assert set(contract.COUNTRY_ALIASES.values()) <= contract.ISO_COUNTRIES
