"""Queries about moves: flows, displacement and one area's moves, all through the disclosure step."""

from __future__ import annotations

from typing import Any

import polars as pl

from boligsocial.common.errors import InvalidParameter, NotPermitted
from boligsocial.compute.moves import SHARE_CRITERIA, TRAITS
from boligsocial.publish import disclosure as dc
from boligsocial.publish.service.base import ServiceBase
from boligsocial.publish.service.move_cells import (
    TALLIES,
    displaced,
    flow,
    housing_flow,
    kind_flow,
    profile,
    tally,
)
from boligsocial.publish.service.move_protection import MoveProtection
from boligsocial.publish.service.snapshot import Viewer

#: The counts of an area's move tallies, each published as a count.
TALLY_COUNTS = TALLIES
#: How the flows can be grouped: by area, housing type or kind of area (the columns from and to).
GROUPINGS = {
    "area": ("from_area", "to_area"),
    "housing_type": ("from_housing", "to_housing"),
    "kind": ("from_kind", "to_kind"),
}
#: The counts net migration and turnover are made of (births and endings are not moves).
TURNOVER_PARTS = tuple(k for k in TALLY_COUNTS if k not in ("births", "ended"))


class MoveQueries(ServiceBase):
    """Flows, displacement and an area's tallies, profiles and decomposition."""

    def flows(
        self,
        by: str = "area",
        year_from: int | None = None,
        year_to: int | None = None,
        layer: str = "omraade",
        viewer: Viewer | None = None,
        trait: str | None = None,
        area: str | None = None,
        housing_type: str | None = None,
    ) -> pl.DataFrame:
        """Moves from → to summed over the years, by area, housing type or kind of area, in a layer;
        `''` is outside (the municipality, or the layer's areas). Optionally only movers with a
        trait, to or from one area, or to or from one housing type. Small flows pass the
        disclosure step."""
        v = viewer or Viewer.operator()
        if by not in GROUPINGS:
            raise InvalidParameter(
                "unknown-grouping", f"flows by '{by}'?", {"allowed": sorted(GROUPINGS)}, params={"by": by}
            )
        if trait is not None and trait not in TRAITS:
            raise InvalidParameter(
                "unknown-trait", f"trait '{trait}'?", {"allowed": sorted(TRAITS)}, params={"trait": trait}
            )
        self.valid_layer(layer)
        if area is not None:
            self._area(layer, area)
        if v.role == "housing_association":  # its own areas' moves only: never an aggregate of others'
            if area is None:
                raise NotPermitted(
                    "area-required",
                    "a housing association sees the moves of its own areas: choose one (area=…)",
                )
            self.require_detail(v, layer, area)
        schema = {
            "from": pl.String,
            "to": pl.String,
            "movers": pl.Float64,
            "state": pl.String,
            "label": pl.String,
            "reason": pl.String,
            "year_from": pl.Int64,
            "year_to": pl.Int64,
        }
        table = self.snap.tables["move_flows"]
        if table.is_empty():
            return pl.DataFrame(schema=schema)  # nobody moved (or a single data year)
        table = table.filter(pl.col("layer") == layer)
        years = sorted(table.get_column("year").unique().to_list())
        if not years:
            return pl.DataFrame(schema=schema)
        lo = self.valid_year(year_from if year_from is not None else years[0], years, "move year")
        hi = self.valid_year(year_to if year_to is not None else years[-1], years, "move year")
        table = table.filter(pl.col("year").is_between(lo, hi))
        if area is not None:
            table = table.filter((pl.col("from_area") == area) | (pl.col("to_area") == area))
        if housing_type is not None:
            table = table.filter(
                (pl.col("from_housing") == housing_type) | (pl.col("to_housing") == housing_type)
            )
        if by == "kind":
            kinds = self.snap.area_names.filter(pl.col("layer") == layer).select("area_id", "kind")
            for side in ("from", "to"):
                table = table.join(
                    kinds.rename({"area_id": f"{side}_area", "kind": f"{side}_kind"}),
                    on=f"{side}_area",
                    how="left",
                ).with_columns(pl.col(f"{side}_kind").fill_null(""))
        src, dst = GROUPINGS[by]
        protected = self.move_protection(v.policy)
        if protected is not None:
            return self._protected_flows(
                table, by, src, dst, lo, hi, layer, trait, area, housing_type, protected, v.policy, schema
            )
        summed = (
            table.group_by(pl.col(src).alias("from"), pl.col(dst).alias("to"))
            .agg(pl.col(trait or "movers").sum().alias("movers"))
            .filter(pl.col("movers") > 0)
            .sort("movers", "from", "to", descending=[True, False, False])
        )
        rows = []
        for r in summed.iter_rows(named=True):
            c = dc.cell(float(r["movers"]), int(r["movers"]), "count", v.policy)
            rows.append(
                {
                    "from": r["from"],
                    "to": r["to"],
                    "movers": c["value"],
                    "state": c["state"],
                    "label": c.get("label"),
                    "reason": None,
                    "year_from": lo,
                    "year_to": hi,
                }
            )
        return pl.DataFrame(rows, schema=schema)

    def _protected_flows(
        self,
        table: pl.DataFrame,
        by: str,
        src: str,
        dst: str,
        lo: int,
        hi: int,
        layer: str,
        trait: str | None,
        area: str | None,
        housing_type: str | None,
        protected: MoveProtection,
        policy: dc.Policy,
        schema: dict[str, Any],
    ) -> pl.DataFrame:
        """Flows for a viewer protected against differencing: each year's flow is a cell of the
        moves' linked tables (`move_protection`); a range of years is the sum of its years, shown
        only where every year of it is (a sum of published figures gives nothing new)."""
        if (housing_type is not None and by != "housing_type") or (area is not None and by == "housing_type"):
            raise InvalidParameter(
                "filter-not-published",
                "this combination of grouping and filters is not published for your role "
                "(it would show flows that cannot be protected against differencing)",
                {"allowed": ["by=area with area", "by=housing_type with housing_type", "by=kind"]},
            )
        measure = trait or "movers"
        per_year = (
            table.group_by("year", pl.col(src).alias("from"), pl.col(dst).alias("to"))
            .agg(pl.col(measure).sum().alias("movers"))
            .filter(pl.col("movers") > 0)
        )
        key_of = {"area": flow, "housing_type": housing_flow, "kind": kind_flow}[by]
        rows = []
        for (a, b), part in per_year.group_by("from", "to"):
            years = part.get_column("year").to_list()
            total = float(part.get_column("movers").sum())
            if by == "kind" and area is not None:  # a sum of the area's flows: shown where all are
                parts = table.filter(pl.col(src) == a, pl.col(dst) == b)
                keys = [
                    flow(layer, int(y), measure, x, z)
                    for y, x, z in parts.select("year", "from_area", "to_area").unique().iter_rows()
                ]
            else:
                keys = [key_of(layer, int(y), measure, str(a), str(b)) for y in years]
            shown = all(protected.shown(k) for k in keys)
            if shown:
                rows.append({"from": a, "to": b, "movers": total, "state": dc.OK, "label": None})
                continue
            cell = protected.cell(keys[0]) if len(keys) == 1 else None
            labelled = cell is not None and cell.label and lo == hi
            rows.append(
                {
                    "from": a,
                    "to": b,
                    "movers": None,
                    "state": dc.SMALL if labelled else dc.SUPPRESSED,
                    "label": policy.small_label if labelled else None,
                    "reason": None if labelled else _reason(cell),
                }
            )
        rows.sort(key=lambda r: (-(r["movers"] or 0), r["from"], r["to"]))
        return pl.DataFrame([{**r, "year_from": lo, "year_to": hi} for r in rows], schema=schema)

    def displacement(
        self,
        layer: str,
        area_id: str,
        year_from: int | None = None,
        year_to: int | None = None,
        material_pp: float = 0.5,
        viewer: Viewer | None = None,
        criterion: str = "labour",
    ) -> list[dict[str, Any]]:
        """Where the area's out-movers went, with their share on a criterion after the move (e.g.
        FTE outside the labour market among those aged 18-64), and how much they raised each
        receiving area's yearly value of that criterion: the share with them minus the share
        without them, in points; `material` from `material_pp` points on."""
        v = viewer or Viewer.operator()
        if criterion not in SHARE_CRITERIA:
            raise InvalidParameter(
                "unknown-criterion",
                f"criterion '{criterion}'?",
                {"allowed": list(SHARE_CRITERIA)},
                params={"criterion": criterion},
            )
        self._area(layer, area_id)
        self.require_detail(v, layer, area_id)
        moved = self.snap.tables["move_displaced"]
        moved = (
            moved.filter((pl.col("layer") == layer) & (pl.col("from_area") == area_id))
            if not moved.is_empty()
            else moved
        )
        years = sorted(moved.get_column("year").unique().to_list()) if moved.height else []
        out: list[dict[str, Any]] = []
        if not years:
            return out
        lo = self.valid_year(year_from if year_from is not None else years[0], years, "move year")
        hi = self.valid_year(year_to if year_to is not None else years[-1], years, "move year")
        names = dict(
            self.snap.area_names.filter(pl.col("layer") == layer).select("area_id", "name").iter_rows()
        )
        _, (num, den), _ = dc.MEASURES[criterion]
        n_col, x_col = f"{criterion}_n", f"{criterion}_sum"
        protected = self.move_protection(v.policy)
        gate = self.measure_gate(v)
        for r in (
            moved.filter(pl.col("year").is_between(lo, hi)).sort("year", "to_area").iter_rows(named=True)
        ):
            y, b = int(r["year"]), r["to_area"]
            block = self.snap.blocks.get((layer, b, y))
            movers = dc.cell(float(r["movers"]), int(r["movers"]), "count", v.policy)
            trait = dc.cell(float(r[x_col]), int(r[n_col]), "share", v.policy)
            if protected is not None:
                movers = _shown(movers, protected, [displaced(layer, y, area_id, b, "movers")], v.policy)
                keys = [displaced(layer, y, area_id, b, k) for k in (n_col, x_col)]
                trait = _shown(trait, protected, keys, v.policy, label=False)
            impact = None
            receiving = gate is None or gate(layer, b, y, criterion)
            if (
                block is not None
                and receiving
                and block[den] >= v.policy.rate_min_population
                and movers["state"] == dc.OK
                and trait["state"]
                in (dc.OK, dc.UNCERTAIN)  # a function of the share: never beside a hidden one
                and block[den] > r[n_col]
            ):
                with_them = float(block[num]) / block[den]
                without = (float(block[num]) - float(r[x_col])) / (block[den] - r[n_col])
                impact = 100 * (with_them - without)
            out.append(
                {
                    "year": r["year"],
                    "to_area": b,
                    "to_name": names.get(b, b),
                    "criterion": criterion,
                    "movers": movers["value"],
                    "movers_state": movers["state"],
                    "trait_share": trait["value"],
                    "trait_state": trait["state"],
                    "impact_pp": impact,
                    "material": impact is not None and impact >= material_pp,
                }
            )
        return out

    def area_moves(self, layer: str, area_id: str, viewer: Viewer | None = None) -> dict[str, Any]:
        """One area's moves per year: in/out tallies, mover profiles and the decomposition."""
        v = viewer or Viewer.operator()
        area = self._area(layer, area_id)
        self.require_detail(v, layer, area_id)
        mine = (pl.col("layer") == layer) & (pl.col("area_id") == area_id)
        tallies = []

        def mine_of(name: str, *order: str) -> pl.DataFrame:
            table = self.snap.tables[name]
            return table if table.is_empty() else table.filter(mine).sort(*order)

        protected = self.move_protection(v.policy)
        for r in mine_of("move_areas", "year").iter_rows(named=True):
            y = int(r["year"])
            row = {"year": r["year"]}
            for key in TALLY_COUNTS:
                c = dc.cell(float(r[key] or 0), int(r[key] or 0), "count", v.policy)
                if protected is not None:
                    c = _shown(c, protected, [tally(layer, y, area_id, key)], v.policy)
                row[key] = c["value"]
                if c["state"] != dc.OK:
                    row[f"{key}_state"] = c["state"]
                    if "label" in c:
                        row[f"{key}_label"] = c["label"]
            tallies.append(row | _turnover(r, row, v.policy))
        profiles = []
        for r in mine_of("mover_profiles", "year", "group").iter_rows(named=True):
            y, group = int(r["year"]), r["group"]
            persons = dc.cell(float(r["persons"]), int(r["persons"]), "count", v.policy)
            if protected is not None:
                persons = _shown(persons, protected, [profile(layer, y, area_id, group, "persons")], v.policy)
            row = {
                "year": r["year"],
                "group": group,
                "persons": persons["value"],
                "state": persons["state"],
            } | {k: persons[k] for k in ("label", "reason") if k in persons}
            for name, num, den, unit in (
                ("labour", "labour_sum", "labour_n", "share"),
                ("education", "education_count", "education_n", "share"),
                ("income", "income_sum", "income_n", "dkk"),
                ("nonwestern", "nonwestern", "persons", "share"),
            ):
                c = dc.cell(float(r[num] or 0), int(r[den] or 0), unit, v.policy)
                if protected is not None:
                    keys = [profile(layer, y, area_id, group, k) for k in (num, den)]
                    c = _shown(c, protected, keys, v.policy, label=False)
                row[name], row[f"{name}_state"] = c["value"], c["state"]
            age = dc.cell(float(r["mean_age"] or 0) * r["persons"], int(r["persons"]), "mean", v.policy)
            if protected is not None:
                keys = [profile(layer, y, area_id, group, k) for k in ("age_sum", "persons")]
                age = _shown(age, protected, keys, v.policy, label=False)
            row["mean_age"] = age["value"]
            profiles.append(row)
        rows = mine_of("move_decomposition", "year", "criterion").to_dicts()
        shown = None
        if protected is not None:
            # each term is a function of a group's count with the trait (the in-movers', the
            # stayers' before and after, the newborns' and those who aged in or out, the endings'):
            # several of them no other figure publishes, and the others the moves' protection may
            # hide, so with the criterion and the group sizes a term gives a hidden count away.
            # Only the analyst sees the decomposition (docs/access.md).
            def shown(d: dict[str, Any]) -> bool:
                return False

        decomposition = dc.publish_decomposition(rows, v.policy, shown)
        return {"area": area, "tallies": tallies, "profiles": profiles, "decomposition": decomposition}


def _reason(cell: Any) -> str:
    """Why a hidden moves figure is hidden, as far as that may be said."""
    return dc.AREA_SMALL if cell is not None and cell.reason == dc.AREA_SMALL else dc.DIFFERENCING


def _shown(
    c: dict[str, Any], protected: MoveProtection, keys: list[Any], policy: dc.Policy, label: bool = True
) -> dict[str, Any]:
    """A moves figure through the moves' protection: shown where every cell it is made of is; a
    hidden count keeps its `<5` label only where the protection kept it."""
    if all(protected.shown(k) for k in keys) and c["state"] not in dc.HIDDEN:
        return c
    cell = protected.cell(keys[0])
    if label and len(keys) == 1 and cell is not None and cell.label and c["state"] in (dc.SMALL, dc.ROUNDED):
        return c
    hidden = dict(c)
    dc.suppress(hidden, _reason(cell))
    return hidden


def _turnover(r: dict[str, Any], published: dict[str, Any], policy: dc.Policy) -> dict[str, Any]:
    """Movers in and out in total, net migration and the turnover rate (movers in and out over
    residents at both year-ends), published only when every count they are made of is: a sum
    beside a hidden part would give the part away."""
    if any(f"{k}_state" in published for k in TURNOVER_PARTS):
        return {
            "in_total": None,
            "out_total": None,
            "net": None,
            "turnover": None,
            "turnover_state": dc.SUPPRESSED,
        }
    moved_in = int(r["in_internal"] or 0) + int(r["in_external"] or 0)
    moved_out = int(r["out_internal"] or 0) + int(r["out_external"] or 0)
    rate = dc.cell(
        float(moved_in + moved_out),
        int(r["residents_before"] or 0) + int(r["residents_after"] or 0),
        "share",
        policy,
    )
    return {
        "in_total": moved_in,
        "out_total": moved_out,
        "net": moved_in - moved_out,
        "turnover": rate["value"],
        "turnover_state": rate["state"],
    }
