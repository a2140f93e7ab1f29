"""What the reports show and in which colours: the criteria, series and key figures they take from
the publication (each with the catalogue key of its words, `report.…`), and the colours of the
lists, the traffic lights and the charts (colour-blind safe, Okabe–Ito)."""

from __future__ import annotations

#: The list categories and their colours, most severe first ("none": no list).
LISTS = {
    "omdannelse": "#D55E00",
    "parallelsamfund": "#E69F00",
    "udsat": "#F0E442",
    "forebyggelse": "#56B4E9",
    "none": "#eeeeee",
}
#: The traffic-light colours.
LIGHT_COLOUR = {"roed": "#D55E00", "gul": "#F0E442", "groen": "#009E73"}
#: The area a profile is about, on its maps and in its charts.
OWN = "#D55E00"

#: The criteria: (list column, key of its words, unit of the value, threshold's prefix).
CRITERIA = (
    ("labour_share", "labour", "share", "labour"),
    ("crime_share", "crime", "share", "crime"),
    ("education_share", "education", "share", "education"),
    ("income_ratio", "income", "ratio", "income"),
    ("nonwestern_share", "nonwestern", "share", "nonwestern"),
)
#: The yearly series of a profile: (indicator, key of its title).
SERIES = (
    ("residents", "residents"),
    ("outside_labour_18_64", "labour"),
    ("convicted_18plus", "crime"),
    ("low_education_30_59", "education"),
    ("mean_income_15_64", "income"),
    ("nonwestern_share", "nonwestern"),
)
#: The key figures of a profile's first page, beside the municipality's (age and housing too).
KEY_FIGURES = (
    "residents",
    "outside_labour_18_64",
    "convicted_18plus",
    "low_education_30_59",
    "mean_income_15_64",
    "nonwestern_share",
    "almen_housing_share",
    "children_0_17",
    "age_65_plus",
    "school_absence_6_16",
    "placement_0_17",
)
#: The parts of the labour criterion's yearly change (docs/moves.md) and their colours.
MOVE_PARTS = (
    ("stayers", "#21918c"),
    ("in_movers", "#D55E00"),
    ("out_movers", "#E69F00"),
    ("ageing_in", "#56B4E9"),
    ("ageing_out", "#999999"),
)
