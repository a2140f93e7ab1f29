"""The code lists of the data contract v1: the values a coded column may take.

The countries are data (`countries.csv`: each ISO 3166-1 alpha-2 code and whether Danmarks
Statistik counts it as "western" — EU-28 including the UK, plus Andorra, Iceland, Liechtenstein,
Monaco, Norway, San Marino, Switzerland, the Vatican, Canada, the USA, Australia and New Zealand);
everything else is here, read by `tables` and by the steps that interpret a code.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

SEX = frozenset({"M", "K"})
ORIGIN = frozenset({"dansk", "indvandrer", "efterkommer"})
EDUCATION = frozenset(
    {"grundskole", "gymnasial", "erhvervsfaglig", "kvu", "mvu", "bachelor", "lvu", "phd", "uoplyst"}
)
#: Educations that count as "only grundskole" for the education criterion (foreign = uoplyst).
LOW_EDUCATION = frozenset({"grundskole", "uoplyst"})
HOUSING_TYPES = frozenset({"almen", "privat_leje", "ejer", "andel", "offentlig", "andet", "ukendt"})
AREA_KINDS = frozenset({"almen", "by", "land", "blandet"})
REQUIRED_LAYER = "omraade"
LISTS = frozenset({"udsat", "parallelsamfund", "omdannelse", "forebyggelse", "ghetto", "haardt_ghetto"})
REFERENCE_METRICS = frozenset({"national_convicted_share_18plus", "regional_mean_income_15_64"})
REGIONS = frozenset({"1081", "1082", "1083", "1084", "1085"})


def _countries() -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("countries.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


_COUNTRY_ROWS = _countries()
#: ISO 3166-1 alpha-2 codes (officially assigned), for origin_country.
ISO_COUNTRIES = frozenset(r["code"] for r in _COUNTRY_ROWS)
#: DST's "western" countries. All else is non-western.
WESTERN_COUNTRIES = frozenset(r["code"] for r in _COUNTRY_ROWS if r["western"] == "true")
#: Common non-ISO spellings mapped onto ISO codes before validation.
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}
