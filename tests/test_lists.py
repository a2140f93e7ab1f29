"""The list rules at every edge: thresholds (> vs >=), residents, 2-year means, regimes, history.

Most tests build the exact building blocks of one area by hand (`block`) and evaluate them with the
pure core; `test_measures_*` check the age bands and populations from person rows.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boligsocial.common.errors import ConfigError
from boligsocial.common.numbers import exact
from boligsocial.compute.lists import History, compute_lists, evaluate_area, evaluate_test, list_years
from boligsocial.compute.measures import compute_measures
from boligsocial.compute.rulesets import ListRule, RuleBook, load_rulebook
from boligsocial.compute.rulesets import Test as Criterion

BOOK = load_rulebook()
RS2021 = BOOK.for_year(2021)
AGES = RS2021.ages()  # type: ignore[union-attr]
NATIONAL = 0.01  # national convicted share 18+ (a float that is not exact in binary)
REGIONAL = 300000.0


def block(**kw: object) -> dict:
    """One area-year of building blocks: 1000 residents, nothing met, unless overridden."""
    row: dict = {
        "residents": 1000,
        "nonwestern": 0,
        "labour_n": 600,
        "labour_sum": Decimal("60"),
        "crime_n": 800,
        "crime_count": 0,
        "education_n": 400,
        "education_count": 40,
        "income_n": 500,
        "income_sum": Decimal(500 * 300000),
    }
    row.update(kw)
    return row


def ref(metric: str, year: int) -> Fraction | None:
    return exact(NATIONAL if metric.startswith("national") else REGIONAL)


def years(t1: dict, t2: dict | None = None, t: int = 2026):
    """get(year) for list year t: t-1 → t1, t-2 → t2 (default: same as t1)."""
    data = {t - 1: t1, t - 2: t2 if t2 is not None else t1}
    return data.get


def run(
    t1: dict,
    t2: dict | None = None,
    t: int = 2026,
    kind: str = "almen",
    history: History | None = None,
    rs=RS2021,
) -> dict:
    area = {"area_id": "x", "name": "X", "kind": kind}
    return evaluate_area(rs, t, "omraade", area, years(t1, t2, t), ref, history or History({}, set(), {}))


# --- labour: > 40 %, mean of the shares of t-1 and t-2 -------------------------------------


def test_labour_exactly_at_40_percent_is_not_met() -> None:
    r = run(block(labour_n=600, labour_sum=Decimal("240")))
    assert r["labour_value"] == Fraction(2, 5) and r["labour_met"] is False
    assert r["labour_margin_persons"] == 1  # one more FTE outside in t-1 crosses


def test_labour_one_fte_above_is_met_and_one_below_is_not() -> None:
    assert run(block(labour_sum=Decimal("241")), block(labour_sum=Decimal("240")))["labour_met"]
    assert not run(block(labour_sum=Decimal("239")), block(labour_sum=Decimal("240")))["labour_met"]


def test_labour_threshold_is_decided_exactly_not_in_floating_point() -> None:
    # 1.2 / 3 is 0.39999999999999997 in binary floating point; exactly it is 2/5
    r = run(block(labour_n=3, labour_sum=Decimal("1.2")))
    assert r["labour_value"] == Fraction(2, 5) and r["labour_met"] is False


def test_labour_uses_the_mean_of_the_two_yearly_shares() -> None:
    # 50 % in t-1 and 30 % in t-2 → 40 %: not met, although t-1 alone is far above
    r = run(block(labour_sum=Decimal("300")), block(labour_sum=Decimal("180")))
    assert r["labour_value"] == Fraction(2, 5) and not r["labour_met"]


# --- crime: >= 3 × national, 2-year means ------------------------------------------------------


def test_crime_exactly_three_times_national_is_met() -> None:
    # 24/800 = 3 % = 3 × 1 %; in floats 3 * 0.01 = 0.030000000000000002 > 0.03 would say "not met"
    r = run(block(crime_count=24))
    assert r["crime_value"] == Fraction(3, 100) and r["crime_met"] is True
    assert r["crime_ratio"] == 3
    assert r["crime_margin_persons"] == 1  # one convicted fewer in t-1 drops below


def test_crime_one_person_below_three_times_is_not_met() -> None:
    assert not run(block(crime_count=23), block(crime_count=24))["crime_met"]


def test_crime_forebyggelse_threshold_is_two_times_inclusive() -> None:
    r = run(block(crime_count=16))
    assert r["crime_fb_met"] is True and r["crime_met"] is False


# --- education: > 60 % of 30-59 (uoplyst counted) ----------------------------------------------


def test_education_exactly_60_percent_is_not_met_one_more_is() -> None:
    assert run(block(education_count=240))["education_met"] is False
    assert run(block(education_count=241))["education_met"] is True


# --- income: < 55 % of the regional mean -------------------------------------------------------


def test_income_exactly_55_percent_is_not_met() -> None:
    r = run(block(income_sum=Decimal(500 * 165000)))
    assert r["income_value"] == Fraction(55, 100) and r["income_met"] is False
    assert r["income_margin_dkk"] == 0


def test_income_one_krone_below_55_percent_is_met_with_its_margin_in_kroner() -> None:
    r = run(block(income_sum=Decimal(500 * 165000 - 500)))
    assert r["income_met"] is True and r["income_margin_dkk"] == -1  # 1 kr. per person below


def test_income_forebyggelse_threshold_is_65_percent() -> None:
    r = run(block(income_sum=Decimal(500 * 180000)))  # 60 %
    assert r["income_fb_met"] and not r["income_met"]


# --- the lists ---------------------------------------------------------------------------------

UDSAT = {"labour_sum": Decimal("300"), "crime_count": 30}  # labour 50 %, crime 3.75 %


def test_udsat_needs_1000_residents() -> None:
    assert run(block(**UDSAT, residents=1000))["udsat"] is True
    r = run(block(**UDSAT, residents=999))
    assert r["udsat"] is False and r["residents_margin"] == -1 and r["criteria_met"] == 2


def test_udsat_needs_two_criteria() -> None:
    r = run(block(labour_sum=Decimal("300")))
    assert r["criteria_met"] == 1 and r["udsat"] is False and r["category"] == "none"


def test_parallelsamfund_needs_more_than_half_non_western() -> None:
    assert run(block(**UDSAT, nonwestern=500))["parallelsamfund"] is False
    r = run(block(**UDSAT, nonwestern=501))
    assert r["parallelsamfund"] is True and r["category"] == "parallelsamfund"


def test_forebyggelse_needs_more_than_30_percent_non_western_and_is_independent() -> None:
    fb = {"labour_sum": Decimal("200"), "crime_count": 16}  # 33 %, 2 × national: fb only
    assert run(block(**fb, nonwestern=300))["forebyggelse"] is False
    r = run(block(**fb, nonwestern=301))
    assert r["forebyggelse"] is True and r["udsat"] is False and r["category"] == "forebyggelse"
    both = run(block(**UDSAT, nonwestern=301))
    assert both["udsat"] and both["forebyggelse"] and both["category"] == "udsat"


def test_non_eligible_area_gets_the_same_values_but_is_marked() -> None:
    r = run(block(**UDSAT, nonwestern=600), kind="by")
    assert r["eligible"] is False and r["parallelsamfund"] is True


def test_regime_2018_has_no_forebyggelse_flag() -> None:
    r = run(block(**UDSAT), t=2019, rs=BOOK.for_year(2019))
    assert r["rule_set"] == "2018" and r["udsat"] is True and r["forebyggelse"] is None


def test_regime_2013_needs_three_of_five_with_absolute_crime() -> None:
    rs = BOOK.for_year(2015)
    # labour 50 %, crime 2.75 % (> 2.70 %), non-western 0 → 2 of 5: not a ghetto
    two = run(block(labour_sum=Decimal("300"), crime_count=22), t=2015, rs=rs)
    assert two["criteria_met"] == 2 and two["parallelsamfund"] is False and two["udsat"] is None
    three = run(block(labour_sum=Decimal("300"), crime_count=22, nonwestern=501), t=2015, rs=rs)
    assert three["criteria_met"] == 3 and three["parallelsamfund"] is True
    at = run(block(labour_sum=Decimal("300"), crime_n=1000, crime_count=27), t=2015, rs=rs)
    assert at["crime_met"] is False  # exactly 2.70 % is not "over"


def test_regime_2010_uses_four_year_means() -> None:
    rs = BOOK.for_year(2011)
    data = {
        2010: block(labour_sum=Decimal("360")),
        2009: block(labour_sum=Decimal("240")),
        2008: block(labour_sum=Decimal("240")),
        2007: block(labour_sum=Decimal("120")),
    }
    r = evaluate_area(
        rs,
        2011,
        "omraade",
        {"area_id": "x", "name": "X", "kind": "almen"},
        data.get,
        ref,
        History({}, set(), {}),
    )
    assert r["labour_value"] == Fraction(2, 5)  # (60 + 40 + 40 + 20) / 4 %


def test_list_years_need_every_data_year() -> None:
    assert list_years(BOOK, range(2015, 2026)) == list(range(2017, 2027))
    assert list_years(BOOK, [2024]) == []
    assert list_years(BOOK, [2009, 2010, 2011, 2012]) == [2013]  # 2010 regime needs 4 years


def test_missing_year_for_an_area_makes_the_two_year_criteria_unknown() -> None:
    get = {2025: block(**UDSAT)}.get
    r = evaluate_area(
        RS2021,
        2026,
        "omraade",
        {"area_id": "x", "name": "X", "kind": "almen"},
        get,
        ref,
        History({}, set(), {}),
    )
    assert r["labour_value"] is None and r["labour_met"] is None and r["crime_met"] is None
    assert r["education_met"] is False and r["udsat"] is False


# --- omdannelse: parallelsamfund in each of the last five list years ----------------------------


def _history_run(official_years: dict[int, list[str]], data_from: int = 2020) -> pl.DataFrame:
    measures = pl.DataFrame(
        [
            {"layer": "omraade", "area_id": "x", "year": y, **block(**UDSAT, nonwestern=600)}
            for y in range(data_from, 2026)
        ]
    )
    official = pl.DataFrame(
        [
            {"list_year": y, "area_id": a, "list": "parallelsamfund" if y >= 2021 else "ghetto"}
            for y, ids in official_years.items()
            for a in ids
        ],
        schema={"list_year": pl.Int64, "area_id": pl.String, "list": pl.String},
    )
    areas = pl.DataFrame({"layer": ["omraade"], "area_id": ["x"], "name": ["X"], "kind": ["almen"]})
    reference = {
        (m, y): ref(m, y)
        for m in ("national_convicted_share_18plus", "regional_mean_income_15_64")
        for y in range(2000, 2030)
    }
    rows, _ = compute_lists(BOOK, {AGES: measures}, areas, reference, official)  # type: ignore[dict-item]
    return pl.DataFrame(rows).select("list_year", "parallelsamfund", "omdannelse")


def test_omdannelse_needs_five_years_with_official_history_filling_the_early_ones() -> None:
    # computed list years 2022-2026; official lists 2019-2021 name the area
    out = _history_run({2019: ["x"], 2020: ["x"], 2021: ["x"]})
    omd = dict(out.select("list_year", "omdannelse").rows())
    assert omd == {2022: False, 2023: True, 2024: True, 2025: True, 2026: True}


def test_omdannelse_fails_when_one_official_year_does_not_list_the_area() -> None:
    out = _history_run({2019: ["x"], 2020: ["other"], 2021: ["x"]})
    omd = dict(out.select("list_year", "omdannelse").rows())
    assert omd[2023] is False and omd[2024] is False and omd[2025] is True


def test_official_lists_win_over_computation_in_the_years_they_cover() -> None:
    # the official 2022 list does not name x although our computation does → no omdannelse
    # until five later years are all parallelsamfund
    out = _history_run({2019: ["x"], 2020: ["x"], 2021: ["x"], 2022: ["other"]})
    omd = dict(out.select("list_year", "omdannelse").rows())
    assert omd[2025] is False and omd[2026] is False


def test_disagreements_between_official_and_computed_are_reported() -> None:
    measures = pl.DataFrame(
        [
            {"layer": "omraade", "area_id": a, "year": y, **block(**UDSAT)}
            for y in (2020, 2021)
            for a in ("x", "y")
        ]
    )
    official = pl.DataFrame({"list_year": [2022], "area_id": ["y"], "list": ["parallelsamfund"]})
    areas = pl.DataFrame(
        {"layer": ["omraade"] * 2, "area_id": ["x", "y"], "name": ["X", "Y"], "kind": ["almen", "almen"]}
    )
    reference = {
        (m, y): ref(m, y)
        for m in ("national_convicted_share_18plus", "regional_mean_income_15_64")
        for y in (2020, 2021)
    }
    _, dis = compute_lists(BOOK, {AGES: measures}, areas, reference, official)  # type: ignore[dict-item]
    found = {(d["area_id"], d["list"], d["official"], d["computed"]) for d in dis}
    # x: computed udsat, official nothing; y: official parallelsamfund, computed only udsat
    assert found == {("x", "udsat", False, True), ("y", "parallelsamfund", True, False)}


# --- margins in persons: adding/removing k flips, k-1 does not ---------------------------------


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 400),
    share1=st.fractions(0, 1),
    share2=st.fractions(0, 1),
    test_id=st.sampled_from(["labour", "crime", "education", "nonwestern", "labour_fb", "crime_fb"]),
)
def test_margin_in_persons_is_the_exact_number_that_flips_the_criterion(
    n: int, share1: Fraction, share2: Fraction, test_id: str
) -> None:
    test = RS2021.tests[test_id]  # type: ignore[union-attr]
    num = {
        "labour": "labour_sum",
        "crime": "crime_count",
        "education": "education_count",
        "nonwestern": "nonwestern",
    }[test.measure]
    den = {"labour": "labour_n", "crime": "crime_n", "education": "education_n", "nonwestern": "residents"}[
        test.measure
    ]
    x1, x2 = int(share1 * n), int(share2 * n)

    def outcome(x: int):
        return evaluate_test(test, 2026, years(block(**{num: x, den: n}), block(**{num: x2, den: n})), ref)

    base = outcome(x1)
    k = base.margin_persons
    if k is None:
        return  # cannot flip within the population
    step = -1 if base.met == (test.op in (">", ">=")) else 1
    assert k >= 1
    assert outcome(x1 + step * k).met != base.met
    assert outcome(x1 + step * (k - 1)).met == base.met


# --- person-level populations and age bands -----------------------------------------------------


def _person(age: int, **kw: object) -> dict:
    row = {
        "year": 2025,
        "address_id": "a",
        "age": age,
        "nonwestern": False,
        "outside_fte": 1.0,
        "convicted": True,
        "education": "uoplyst",
        "gross_income": 100.0,
        "taxable": True,
        "student": False,
    }
    row.update(kw)
    return row


def _measures(rows: list[dict]) -> dict:
    residents = pl.DataFrame(rows)
    addresses = pl.DataFrame({"address_id": ["a"], "housing_type": ["almen"]})
    assignment = pl.DataFrame(
        {"layer": ["omraade"], "address_id": ["a"], "area_id": ["x"], "year_from": [2025], "year_to": [2025]},
        schema_overrides={"year_from": pl.Int32, "year_to": pl.Int32},
    )
    m = compute_measures(residents, addresses, assignment, "999", AGES)
    return m.filter(pl.col("layer") == "omraade").to_dicts()[0]


def test_measures_age_bands_at_their_edges() -> None:
    m = _measures([_person(a) for a in (14, 15, 17, 18, 29, 30, 59, 60, 64, 65)])
    assert m["residents"] == 10
    assert m["labour_n"] == 6 and m["labour_sum"] == Decimal("6")  # 18, 29, 30, 59, 60, 64
    assert m["crime_n"] == 7 and m["crime_count"] == 7  # 18 and over
    assert m["education_n"] == 2  # 30 and 59
    assert m["income_n"] == 8  # 15, 17, 18, 29, 30, 59, 60, 64


def test_measures_income_excludes_students_non_taxable_and_unknown() -> None:
    m = _measures(
        [
            _person(40, gross_income=200.0),
            _person(40, student=True),
            _person(40, taxable=False),
            _person(40, gross_income=None),
        ]
    )
    assert m["income_n"] == 1 and m["income_sum"] == Decimal("200")


def test_measures_count_uoplyst_with_grundskole_and_missing_fte_as_zero() -> None:
    m = _measures(
        [
            _person(40, education="grundskole"),
            _person(40, education="uoplyst"),
            _person(40, education="lvu", outside_fte=None),
            _person(40, nonwestern=True),
        ]
    )
    assert m["education_n"] == 4 and m["education_count"] == 3
    assert m["labour_n"] == 4 and m["labour_sum"] == Decimal("3")
    assert m["nonwestern"] == 1


@pytest.mark.parametrize("rs", BOOK.rulesets, ids=lambda r: r.id)
def test_every_rule_set_cites_its_legal_basis_and_years(rs) -> None:
    assert "§ 61" in rs.legal_basis and rs.first_list_year >= 2010
    assert BOOK.for_year(rs.first_list_year) is rs


def test_without_origin_variant_drops_the_origin_conditions() -> None:
    variant = RuleBook([r.without_origin() for r in BOOK.rulesets])
    r = run(block(**UDSAT), rs=variant.for_year(2026))
    assert r["rule_set"] == "2021-uden-herkomst" and r["parallelsamfund"] is True


def test_a_new_regime_is_a_new_file(tmp_path) -> None:
    source = (Path(__file__).parent.parent / "src/boligsocial/compute/rulesets/2021.toml").read_text()
    new = source.replace('id = "2021"', 'id = "2027"')
    new = new.replace("first_list_year = 2021", "first_list_year = 2027")
    new = new.replace('threshold = "0.40"', 'threshold = "0.35"')
    (tmp_path / "2027.toml").write_text(new)
    book = load_rulebook([tmp_path / "2027.toml"])
    assert book.for_year(2026).id == "2021" and book.for_year(2027).id == "2027"  # type: ignore[union-attr]
    r = run(block(labour_sum=Decimal("216")), t=2027, rs=book.for_year(2027))  # 36 %
    assert r["labour_met"] is True and r["rule_set"] == "2027"


def test_a_broken_rule_set_reports_every_problem(tmp_path) -> None:
    (tmp_path / "bad.toml").write_text(
        'id = "x"\ntitle = "x"\nlegal_basis = "x"\nfirst_list_year = 2030\n'
        "[settings]\nmin_residents = 1000\n"
        '[[test]]\nid = "a"\nmeasure = "happiness"\nlags = [0]\nop = "=="\nthreshold = 0.4\n'
        '[lists.udsat]\ncount = ["b"]\n'
    )
    with pytest.raises(ConfigError) as info:
        load_rulebook([tmp_path / "bad.toml"])
    text = str(info.value)
    assert text.startswith("fejl i regelsættet / rule set problems:\n")
    for expected in (
        "bad.toml: settings.residents_lag: mangler / is missing",
        "bad.toml: settings.income_ages: mangler / is missing",
        "bad.toml: test[1].measure: ukendt værdi / unknown value: 'happiness' (tilladt/allowed: labour,",
        "bad.toml: test[1].op: ukendt værdi / unknown value: '=='",
        "bad.toml: test[1].lags[1]: skal være større end 0 / must be greater than 0",
        'bad.toml: test[1].threshold: skriv tærsklen som decimaltal i anførselstegn, fx "0.40" / '
        'write the threshold as a decimal string, e.g. "0.40"',
        "bad.toml: lists.udsat.count[1]: ukendt test / unknown test: 'b' (tilladt/allowed: a)",
    ):
        assert expected in text
    assert len(text.splitlines()) == 1 + 10  # the title and each problem once


def test_a_misspelled_key_in_a_rule_set_is_refused_with_a_hint(tmp_path: Path) -> None:
    source = (Path(__file__).parent.parent / "src/boligsocial/compute/rulesets/2021.toml").read_text()
    (tmp_path / "2027.toml").write_text(
        source.replace("min_met = 2", "min_mett = 2", 1).replace("[lists.omdannelse]", "[lists.omdanelse]")
    )
    with pytest.raises(ConfigError) as info:
        load_rulebook([tmp_path / "2027.toml"])
    assert str(info.value).splitlines()[1:] == [
        "  2027.toml: lists.udsat.min_mett: ukendt nøgle / unknown key; "
        "mente du 'min_met'? / did you mean 'min_met'?",
        "  2027.toml: lists.omdanelse: ukendt nøgle / unknown key: 'omdanelse' "
        "(tilladt/allowed: udsat, parallelsamfund, omdannelse, forebyggelse); "
        "mente du 'omdannelse'? / did you mean 'omdannelse'?",
    ]


def test_a_threshold_that_is_not_a_decimal_and_unknown_references_are_named(tmp_path: Path) -> None:
    source = (Path(__file__).parent.parent / "src/boligsocial/compute/rulesets/2021.toml").read_text()
    (tmp_path / "2027.toml").write_text(
        source.replace('threshold = "0.40"', 'threshold = "0,40"')
        .replace('conditions = ["nonwestern"]', 'conditions = ["nonwestrn"]')
        .replace('history = "parallelsamfund"', 'history = "paralelsamfund"')
    )
    with pytest.raises(ConfigError) as info:
        load_rulebook([tmp_path / "2027.toml"])
    assert str(info.value).splitlines()[1:] == [
        "  2027.toml: test[1].threshold: ikke et decimaltal / not a decimal number: '0,40'",
        "  2027.toml: lists.parallelsamfund.conditions[1]: ukendt test / unknown test: 'nonwestrn' "
        "(tilladt/allowed: labour, crime, education, income, nonwestern, labour_fb, crime_fb, "
        "education_fb, income_fb, nonwestern_fb); mente du 'nonwestern'? / did you mean 'nonwestern'?",
        "  2027.toml: lists.omdannelse.history: ukendt liste / unknown list: 'paralelsamfund' "
        "(tilladt/allowed: udsat, parallelsamfund, omdannelse, forebyggelse); "
        "mente du 'parallelsamfund'? / did you mean 'parallelsamfund'?",
    ]


def test_the_2021_rule_set_reads_as_it_always_did() -> None:
    """The shipped file gives exactly the objects the hand-written loader gave (thresholds exact)."""
    tests = [
        Criterion("labour", "labour", (1, 2), ">", Fraction(2, 5)),
        Criterion("crime", "crime", (1, 2), ">=", Fraction(3), "national_convicted_share_18plus"),
        Criterion("education", "education", (1,), ">", Fraction(3, 5)),
        Criterion("income", "income", (1,), "<", Fraction(11, 20), "regional_mean_income_15_64"),
        Criterion("nonwestern", "nonwestern", (1,), ">", Fraction(1, 2), origin=True),
        Criterion("labour_fb", "labour", (1, 2), ">", Fraction(3, 10)),
        Criterion("crime_fb", "crime", (1, 2), ">=", Fraction(2), "national_convicted_share_18plus"),
        Criterion("education_fb", "education", (1,), ">", Fraction(3, 5)),
        Criterion("income_fb", "income", (1,), "<", Fraction(13, 20), "regional_mean_income_15_64"),
        Criterion("nonwestern_fb", "nonwestern", (1,), ">", Fraction(3, 10), origin=True),
    ]
    criteria = ("labour", "crime", "education", "income")
    lists = [
        ListRule("udsat", "udsat boligområde", 1000, criteria, 2),
        ListRule("parallelsamfund", "parallelsamfund", requires=("udsat",), conditions=("nonwestern",)),
        ListRule(
            "omdannelse",
            "omdannelsesområde",
            requires=("parallelsamfund",),
            history="parallelsamfund",
            consecutive_years=5,
        ),
        ListRule(
            "forebyggelse",
            "forebyggelsesområde",
            1000,
            tuple(f"{c}_fb" for c in criteria),
            2,
            conditions=("nonwestern_fb",),
        ),
    ]
    assert RS2021 is not None and RS2021.id == "2021" and RS2021.source == "2021.toml"
    assert (RS2021.first_list_year, RS2021.last_list_year, RS2021.variant) == (2021, None, "")
    assert RS2021.settings == {
        "min_residents": 1000,
        "residents_lag": 1,
        "labour_ages": [18, 64],
        "crime_ages": [18, 200],
        "education_ages": [30, 59],
        "income_ages": [15, 64],
    }
    assert list(RS2021.tests.values()) == tests and list(RS2021.tests) == [t.id for t in tests]
    assert list(RS2021.lists.values()) == lists and list(RS2021.lists) == [r.name for r in lists]
    assert [(r.id, r.first_list_year, r.last_list_year) for r in BOOK.rulesets] == [
        ("2010", 2010, 2012),
        ("2013", 2013, 2017),
        ("2018", 2018, 2020),
        ("2021", 2021, None),
    ]
