"""Point-in-polygon at the edges: shared boundaries, corners, outside points, versions, reprojection."""

from __future__ import annotations

import numpy as np
import polars as pl
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from boligsocial.geo.areas import Areas, transform_points
from boligsocial.geo.assign import assign_addresses, locate, periods


def grid(n: int = 3, size: float = 10.0) -> tuple[list[str], np.ndarray]:
    """n×n unit squares, ids in row-major order ('c00', 'c01', ...)."""
    ids, polys = [], []
    for i in range(n):
        for j in range(n):
            ids.append(f"c{i}{j}")
            polys.append(shapely.box(j * size, i * size, (j + 1) * size, (i + 1) * size))
    return ids, np.array(polys)


def test_point_on_shared_boundary_goes_to_smallest_id_regardless_of_input_order() -> None:
    ids, polys = grid(2)
    x, y = np.array([10.0]), np.array([5.0])  # edge between c00 and c01
    found = locate(polys, x, y)
    assert ids[found.index[0]] == "c00"
    assert found.boundary_only[0] and found.interiors[0] == 0
    # the caller orders by area_id; reversing the polygons and ids must give the same area
    rev = locate(polys[::-1], x, y)
    assert list(reversed(ids))[rev.index[0]] == "c01"  # first in *given* order: order matters
    sorted_again = np.argsort(list(reversed(ids)))
    assert list(reversed(ids))[sorted_again[0]] == "c00"


def test_corner_shared_by_four_squares_is_assigned_exactly_once() -> None:
    ids, polys = grid(2)
    found = locate(polys, np.array([10.0]), np.array([10.0]))
    assert ids[found.index[0]] == "c00"
    assert found.boundary_only[0]


def test_interior_outside_and_overlap() -> None:
    polys = np.array([shapely.box(0, 0, 10, 10), shapely.box(5, 5, 15, 15)])
    found = locate(polys, np.array([2.0, 7.0, 12.0, 50.0]), np.array([2.0, 7.0, 12.0, 50.0]))
    assert found.index.tolist() == [0, 0, 1, -1]
    assert found.interiors.tolist() == [1, 2, 1, 0]


def test_polygon_with_hole() -> None:
    donut = shapely.Polygon(
        shapely.box(0, 0, 10, 10).exterior.coords, [shapely.box(4, 4, 6, 6).exterior.coords]
    )
    found = locate(np.array([donut, shapely.box(4, 4, 6, 6)]), np.array([5.0, 1.0]), np.array([5.0, 1.0]))
    assert found.index.tolist() == [1, 0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=50))
def test_every_point_of_the_union_gets_exactly_one_area_that_covers_it(
    points: list[tuple[int, int]],
) -> None:
    """Points on a 0.5 lattice hit many edges and corners: each lands in one covering square."""
    ids, polys = grid(3)
    x = np.array([p[0] / 2 for p in points])
    y = np.array([p[1] / 2 for p in points])
    found = locate(polys, x, y)
    assert (found.index >= 0).all()
    for k in range(len(x)):
        chosen = polys[found.index[k]]
        assert shapely.intersects_xy(chosen, x[k], y[k])
        covering = [i for i, p in enumerate(polys) if shapely.intersects_xy(p, x[k], y[k])]
        assert found.index[k] == min(covering, key=lambda i: ids[i])


def test_periods_are_runs_of_years_with_the_same_versions() -> None:
    vf = np.array([0, 0, 2020])
    vt = np.array([9999, 2019, 9999])
    runs = periods(vf, vt, [2017, 2018, 2019, 2020, 2021])
    assert [(ys, m.tolist()) for ys, m in runs] == [([2017, 2018, 2019], [0, 1]), ([2020, 2021], [0, 2])]


def test_boundary_versions_change_assignment_by_year() -> None:
    """b grows west in 2020 at a's expense: an address at x=7 moves from a to b."""
    frame = pl.DataFrame(
        {
            "layer": ["omraade"] * 4,
            "area_id": ["a", "b", "a", "b"],
            "name": ["A", "B", "A", "B"],
            "valid_from": [0, 0, 2020, 2020],
            "valid_to": [2019, 2019, 9999, 9999],
        }
    )
    geometry = np.array(
        [
            shapely.box(0, 0, 10, 10),
            shapely.box(10, 0, 20, 10),
            shapely.box(0, 0, 5, 10),
            shapely.box(5, 0, 20, 10),
        ]
    )
    addresses = pl.DataFrame({"address_id": ["p"], "x": [7.0], "y": [5.0]})
    residents = pl.DataFrame({"address_id": ["p", "p"], "year": [2019, 2020], "n": [1, 1]})
    result = assign_addresses(Areas(frame, geometry), addresses, residents, [2019, 2020])
    rows = result.frame.sort("year_from").select("area_id", "year_from", "year_to").rows()
    assert rows == [("a", 2019, 2019), ("b", 2020, 2020)]
    assert not [p for p in result.problems if p.code.startswith("address-un")]


def test_unassigned_addresses_counted_with_persons_affected() -> None:
    areas = Areas(
        pl.DataFrame(
            {"layer": ["omraade"], "area_id": ["a"], "name": ["A"], "valid_from": [0], "valid_to": [9999]}
        ),
        np.array([shapely.box(0, 0, 10, 10)]),
    )
    addresses = pl.DataFrame({"address_id": ["in", "out1", "out2"], "x": [1.0, 20, 30], "y": [1.0, 1, 1]})
    residents = pl.DataFrame(
        {"address_id": ["out1", "out1", "out2"], "year": [2020, 2021, 2021], "n": [2, 3, 1]}
    )
    strict = assign_addresses(areas, addresses, residents, [2020, 2021])
    [problem] = [p for p in strict.problems if p.code == "address-unassigned"]
    assert problem.count == 2 and "6 person-years" in problem.message
    lenient = assign_addresses(areas, addresses, residents, [2020, 2021], allow_unassigned=True)
    assert [p.code for p in lenient.problems] == ["address-unassigned-allowed"]
    assert lenient.frame.get_column("address_id").to_list() == ["in"]


def test_reprojection_from_wgs84_lands_in_the_same_area() -> None:
    to_wgs = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(np.array([540050.0]), np.array([6170050.0]))
    x, y = transform_points(np.asarray(lon), np.asarray(lat), "EPSG:4326")
    assert abs(x[0] - 540050.0) < 0.01 and abs(y[0] - 6170050.0) < 0.01
    polys = np.array([shapely.box(540000, 6170000, 540100, 6170100)])
    assert locate(polys, x, y).index.tolist() == [0]
