"""Safe partitions against differencing: the partition step on hand-built atoms and areas, and a
property: for random geographies with nested, partial and crossing layers, an attacker who solves
the integer program of everything published (areas, the municipality, labels) never pins a hidden
count of 1..4 of any area, atom or difference of areas."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from boligsocial.publish.disclosure.partition import Rule, Year, aligned, join, solve, ties
from boligsocial.publish.disclosure.policy import Policy
from boligsocial.publish.disclosure.protection import protect_year

RULE = Rule(small=4, rate_min=20, min_area=0)


def year(regions: list[list[int]], counts: dict[str, list[float]], **kw: object) -> Year:
    n = len(next(iter(counts.values())))
    masks = np.zeros((len(regions), n), dtype=bool)
    for r, atoms in enumerate(regions):
        masks[r, atoms] = True
    values = {s: np.array(v, dtype=float) for s, v in counts.items()}
    kinds = {s: "count" for s in counts}
    return Year([f"g{i}" for i in range(n)], masks, values, kinds, kw.pop("residents", "res"), **kw)  # type: ignore[arg-type]


def published(y: Year, parts: dict, stat: str) -> list[bool]:
    return aligned(y.regions, parts[stat]).tolist()


def test_a_village_and_its_area_cannot_both_show_what_differs_between_them() -> None:
    # atoms: 0 = the village (239 adults, 12 convicted), 1 = the rest of the area (248 adults, 3
    # convicted); regions: village, area, municipality. Area minus village would be "3 of 248".
    y = year([[0], [0, 1], [0, 1]], {"res": [300.0, 300.0], "conv": [12.0, 3.0]})
    parts = solve(y, RULE)
    assert published(y, parts, "conv") == [False, True, True]  # the village gives way to its area
    assert published(y, parts, "res") == [True, True, True]  # residents differ by 300: safe


def test_a_parent_minus_its_published_children_gives_nothing_away() -> None:
    # a school district (atoms 0-2) = three parishes; parish 0 has 2 convicted
    y = year(
        [[0], [1], [2], [0, 1, 2], [0, 1, 2]],
        {"res": [500.0, 600.0, 700.0], "conv": [2.0, 30.0, 9.0]},
    )
    shown = published(y, solve(y, RULE), "conv")
    assert shown[0] is False and shown[3] and shown[4]
    assert shown[1:3].count(False) == 1  # a second parish is hidden with it, inside the district
    assert shown[1] is False  # the one that takes the fewest residents' figures away


def test_the_municipality_minus_a_partial_layer_is_checked_too() -> None:
    # an almene area (atom 0, 2 evicted) inside a parish (atoms 0, 1); the almen layer covers atom 0
    # only: municipality = parish + other parish; nothing may leave 2 by subtraction
    y = year([[0], [0, 1], [2], [0, 1, 2]], {"res": [400.0, 400.0, 400.0], "ev": [2.0, 0.0, 7.0]})
    parts = solve(y, RULE)
    shown = published(y, parts, "ev")
    assert shown[0] is False
    # every published figure is a union of blocks whose totals are 0 or at least 5
    lab = parts["ev"]
    assert lab is not None
    for b in set(lab.tolist()):
        total = y.values["ev"][lab == b].sum()
        assert total == 0 or total >= 5


def test_a_statistic_whose_whole_municipality_is_small_is_withheld() -> None:
    y = year([[0], [1], [0, 1]], {"res": [50.0, 60.0], "ev": [1.0, 2.0]})
    parts = solve(y, RULE)
    assert parts["ev"] is None and published(y, parts, "res") == [True, True, True]


def test_a_difference_of_two_statistics_is_protected_like_a_count() -> None:
    # 17-29-year-olds minus 18-29-year-olds is the 17-year-olds: 2 in area 0, 3 in area 1
    y = year(
        [[0], [1], [2], [0, 1, 2]],
        {"res": [900.0, 900.0, 900.0], "a17": [40.0, 50.0, 60.0], "a18": [38.0, 47.0, 50.0]},
        derived=[(("a17", 1), ("a18", -1))],
    )
    parts = solve(y, RULE)
    both = [a and b for a, b in zip(published(y, parts, "a17"), published(y, parts, "a18"), strict=True)]
    assert both == [False, False, True, True]  # 2 and 3 are not to be had; 10 in area 2 is safe
    lab = join([parts["a17"], parts["a18"]])  # type: ignore[list-item]
    diff = y.values["a17"] - y.values["a18"]
    for b in set(lab.tolist()):
        assert diff[lab == b].sum() == 0 or diff[lab == b].sum() >= 5


def test_a_part_of_a_split_is_published_exactly_where_it_can_be_worked_out() -> None:
    # residents = the young + the 30-64-year-olds + the elderly; "30-59" lies inside "30-64". The
    # attack found: the 30-64-year-olds hidden, but residents minus the other bands published, and
    # minus the 30-59-year-olds that gives the 60-64-year-olds (4): a chain of five statistics.
    regions = [[0], [1], [2], [0, 1], [0, 1, 2]]
    counts = {
        "res": [200.0, 210.0, 220.0],
        "young": [60.0, 2.0, 70.0],  # 2 young in atom 1: the young are merged there
        "mid": [100.0, 150.0, 90.0],
        "old": [40.0, 58.0, 60.0],
        "mid59": [96.0, 140.0, 80.0],  # 4 aged 60-64 in atom 0
    }
    derived = [
        (("mid", -1), ("old", -1), ("res", 1)),  # = young
        (("old", -1), ("res", 1), ("young", -1)),  # = mid
        (("mid", -1), ("res", 1), ("young", -1)),  # = old
        (("mid", 1), ("mid59", -1)),  # = the 60-64-year-olds
    ]
    kinds = dict.fromkeys(counts, "count")
    tied = ties({k: np.array(v) for k, v in counts.items()}, kinds, derived)
    assert tied == [("mid", "old", "young")]  # the parts, not the whole
    y = year(regions, counts, derived=derived, ties=tied)
    parts = solve(y, RULE)
    assert parts["mid"] is parts["old"] is parts["young"]  # one partition for the three parts
    shown = {s: published(y, parts, s) for s in counts}
    for r in range(len(regions)):  # wherever the bands but one are published, so is that one
        for band in ("young", "mid", "old"):
            others = [b for b in ("young", "mid", "old") if b != band]
            if shown["res"][r] and all(shown[b][r] for b in others):
                assert shown[band][r]
    # and so no published combination isolates the 60-64-year-olds of atom 0
    lab = join([parts["mid"], parts["mid59"]])  # type: ignore[list-item]
    diff = y.values["mid"] - y.values["mid59"]
    for b in set(lab.tolist()):
        assert diff[lab == b].sum() == 0 or diff[lab == b].sum() >= 5
    assert not (shown["res"][0] and shown["young"][0] and shown["old"][0] and shown["mid59"][0])


def test_a_share_whose_complement_is_small_is_protected() -> None:
    # 46 of 48 adults outside the labour market in area 0: its complement (2) must not be had
    y = year(
        [[0], [1], [0, 1]],
        {"res": [100.0, 100.0], "num": [46.0, 10.0], "den": [48.0, 60.0]},
        rates=[("num", "den", True)],
    )
    parts = solve(y, RULE)
    shown = [a and b for a, b in zip(published(y, parts, "num"), published(y, parts, "den"), strict=True)]
    assert shown == [False, False, True]


def test_a_rate_on_a_derived_population_under_the_minimum_is_protected() -> None:
    # mean income: the difference of two areas would be a mean over 12 persons
    y = year(
        [[0], [0, 1], [0, 1]],
        {"res": [100.0, 30.0], "n": [300.0, 12.0], "sum": [9e7, 4e6]},
        rates=[("sum", "n", False)],
    )
    y.kinds["sum"] = "sum"
    parts = solve(y, RULE)
    assert [a and b for a, b in zip(published(y, parts, "sum"), published(y, parts, "n"), strict=True)] == [
        False,
        True,
        True,
    ]


def test_a_stricter_policy_never_shows_what_the_default_hides() -> None:
    y = year(
        [[0], [1], [2], [3], [0, 1], [2, 3], [0, 1, 2, 3]],
        {"res": [120.0, 200.0, 90.0, 400.0], "conv": [6.0, 7.0, 3.0, 9.0]},
    )
    default = protect_year(y, list(range(7)), Policy("default"))
    public = protect_year(y, list(range(7)), Policy("public", min_area_population=250), default.partitions)
    for s in ("conv",):
        assert not (public.publishable[s] & ~default.publishable[s]).any()


@pytest.mark.parametrize(("total", "labelled"), [(5, [True, True]), (8, [False, True])])
def test_a_label_is_shown_only_where_it_cannot_be_pinned(total: int, labelled: list[bool]) -> None:
    # two hidden regions in one block of known total: with 5 both can say "<5" (1+4, 2+3, ...);
    # with 8 two labels would pin both to 4, so one gives its label up (then the other is 1..4
    # and the first 4..7: nothing pinned)
    a = total // 2
    y = year([[0], [1], [0, 1]], {"res": [500.0, 500.0], "c": [float(a), float(total - a)]})
    prot = protect_year(y, ["a", "b", "kommune"], Policy("default"))
    assert prot.labelled["c"].tolist() == [*labelled, False]


def test_labels_that_nest_give_up_one_of_them() -> None:
    """Found by the property below: a region of four atoms of 1 each, every atom also a region,
    all labelled "<5": the four parts are at least 1 each, so the whole is at least 4, and "<5"
    pins it to 4 and every part to 1 (and the fifth atom to the published total minus 4)."""
    regions = [[0], [1], [2], [3], [4], [0], [1, 2, 3, 4], [0, 1, 2, 3, 4]]
    y = year(regions, {"res": [500.0] * 5, "c": [2.0, 1.0, 1.0, 1.0, 1.0]})
    prot = protect_year(y, list(range(len(regions))), Policy("default"))
    labelled = prot.labelled["c"]
    assert labelled.any()  # labels are still shown where they pin nothing
    for a, b in itertools.combinations(np.flatnonzero(labelled), 2):
        same = np.array_equal(y.regions[a], y.regions[b])  # one set of persons, one label
        assert same or not (y.regions[a] & y.regions[b]).any()  # the labels left are disjoint
    assert not labelled[6]  # the larger of nesting regions gives its label up, the parts keep theirs
    assert labelled[[1, 2, 3, 4]].all()
    assert _attack(y, "c", prot.publishable["c"], labelled) == []


# --- the property: an integer-programming attacker on random geographies -----------------------


def _attack(y: Year, stat: str, shown: np.ndarray, labels: np.ndarray) -> list[tuple[str, float]]:
    """Every set (region, atom, difference of two nested regions) whose count the published
    regions and labels pin to one value that is a small count: what an attacker recovers."""
    n = y.regions.shape[1]
    truth = y.values[stat]
    rows = [y.regions[r].astype(float) for r in np.flatnonzero(shown)]
    rhs = [float(y.regions[r].astype(float) @ truth) for r in np.flatnonzero(shown)]
    constraints = []
    if rows:
        constraints.append(LinearConstraint(np.vstack(rows), rhs, rhs))
    if labels.any():
        constraints.append(LinearConstraint(y.regions[labels].astype(float), 1.0, 4.0))
    targets: list[tuple[str, np.ndarray]] = [(f"region {r}", y.regions[r]) for r in range(len(y.regions))]
    targets += [(f"atom {g}", np.eye(n, dtype=bool)[g]) for g in range(n)]
    for a, b in itertools.permutations(range(len(y.regions)), 2):
        if (y.regions[b] & ~y.regions[a]).any() or np.array_equal(y.regions[a], y.regions[b]):
            continue
        targets.append((f"region {a} minus region {b}", y.regions[a] & ~y.regions[b]))
    feasible = milp(np.zeros(n), constraints=constraints, integrality=np.ones(n), bounds=Bounds(0, np.inf))
    assert feasible.status == 0, feasible.message  # the truth satisfies everything published
    found = []
    for name, mask in targets:
        true = float(mask.astype(float) @ truth)
        if not 1 <= true <= 4:
            continue
        c = mask.astype(float)
        ends = []
        for sign in (1, -1):
            res = milp(sign * c, constraints=constraints, integrality=np.ones(n), bounds=Bounds(0, np.inf))
            # 3 or 4 (on a feasible problem): unbounded, nothing pins it from that side
            assert res.status in (0, 3, 4), res.message
            ends.append(sign * res.fun if res.status == 0 else sign * np.inf)
        if ends[0] == ends[1]:
            found.append((name, true))
    return found


@st.composite
def geographies(draw: st.DrawFn) -> tuple[list[list[int]], list[float]]:
    """Atoms with small counts, a wall-to-wall layer of parishes, school districts made of
    parishes, a partial layer (villages/almene areas: single atoms or pairs), a crossing layer."""
    n = draw(st.integers(3, 9))
    counts = [float(draw(st.integers(0, 9))) for _ in range(n)]
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=n - 1)))
    parishes = [list(range(a, b)) for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    regions = [p for p in parishes]
    if len(parishes) > 2:
        split = draw(st.integers(1, len(parishes) - 1))
        regions += [[a for p in parishes[:split] for a in p], [a for p in parishes[split:] for a in p]]
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.integers(0, n - 1))
        regions.append(list(range(start, min(n, start + draw(st.integers(1, 2))))))
    if draw(st.booleans()):
        mid = draw(st.integers(1, n - 1))
        regions += [list(range(mid)), list(range(mid, n))]
    regions.append(list(range(n)))
    return regions, counts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(geographies())
def test_no_published_combination_pins_a_small_count(geo: tuple[list[list[int]], list[float]]) -> None:
    regions, counts = geo
    y = year(regions, {"res": [500.0] * len(counts), "c": counts})
    prot = protect_year(y, list(range(len(regions))), Policy("default"))
    shown = prot.publishable["c"]
    assert _attack(y, "c", shown, prot.labelled["c"]) == []
