"""The service's side of the disclosure step: the database's atoms and statistics turned into the
inputs of `boligsocial.publish.disclosure.protection`, and which statistics each published figure is made
of. One `Protection` per policy, built on first use and kept until the database changes."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from boligsocial.compute.indicators import MUNICIPALITY_LAYER
from boligsocial.contract import HOUSING_TYPES
from boligsocial.publish import disclosure as dc
from boligsocial.publish.disclosure.partition import Year, ties
from boligsocial.publish.disclosure.protection import Protection, protect_year
from boligsocial.publish.service.snapshot import Snapshot

#: The list measures as (numerator, population) building blocks, and whether they are shares.
MEASURE_BLOCKS = {m: (num, den, unit == "share") for m, (_, (num, den), unit) in dc.MEASURES.items()}
#: Regions besides the areas: the municipality, and all almene areas of a layer together.
ALMEN_REGION = "almen"


def area_region(layer: str, area_id: str) -> tuple[str, str]:
    return (layer, area_id)


def almen_region(layer: str) -> tuple[str, str]:
    return (ALMEN_REGION, layer)


@dataclass
class Statistics:
    """Which statistics each published figure is made of, by their canonical ids."""

    snap: Snapshot

    @cached_property
    def canonical(self) -> dict[str, str]:
        table = self.snap.tables["statistics"]
        return dict(table.select("id", "canonical").iter_rows()) if table.height else {}

    @cached_property
    def kinds(self) -> dict[str, str]:
        table = self.snap.tables["statistics"]
        return dict(table.select("canonical", "kind").iter_rows()) if table.height else {}

    def _of(self, name: str) -> str:
        return self.canonical.get(name, name)

    def indicator(self, indicator: str) -> tuple[str, str]:
        return self._of(f"ind:{indicator}:num"), self._of(f"ind:{indicator}:den")

    def measure(self, measure: str) -> tuple[str, str]:
        num, den, _ = MEASURE_BLOCKS[measure]
        key = self.ages
        return self._of(f"crit:{key}:{num}"), self._of(f"crit:{key}:{den}")

    def housing(self, housing_type: str) -> str:
        return self._of(f"res:{housing_type}")

    @cached_property
    def residents(self) -> str:
        return (
            self._of("ind:residents:num")
            if "ind:residents:num" in self.canonical
            else self.measure_any("residents")
        )

    def measure_any(self, block: str) -> str:
        return self._of(f"crit:{self.ages}:{block}")

    @cached_property
    def ages(self) -> str:
        """The age-band setting whose blocks the published lists read (the snapshot's `blocks`)."""
        frame = self.snap.tables["criteria_inputs"]
        return str(frame.get_column("ages")[0]) if frame.height else ""

    @cached_property
    def rates(self) -> list[tuple[str, str, bool]]:
        """(numerator, denominator, is share) of every published rate."""
        out = []
        for row in self.snap.tables["indicators"].iter_rows(named=True):
            if row["unit"] != "count":
                num, den = self.indicator(row["id"])
                out.append((num, den, row["unit"] == "share"))
        if self.ages:
            for measure, (_, _, share) in MEASURE_BLOCKS.items():
                num, den = self.measure(measure)
                out.append((num, den, share))
        return out

    @cached_property
    def uses(self) -> dict[str, int]:
        """How many kinds of published figure rest on each statistic."""
        count: dict[str, int] = defaultdict(int)
        for ind in self.snap.tables["indicators"].get_column("id").to_list():
            for s in set(self.indicator(ind)):
                count[s] += 1
        if self.ages:
            for m in MEASURE_BLOCKS:
                for s in set(self.measure(m)):
                    count[s] += 1
        for ind in self.snap.tables["indicators"].get_column("id").to_list():
            if ind.startswith("age_"):  # the age breakdown of an area shows the same counts
                count[self.indicator(ind)[0]] += 1
        for h in HOUSING_TYPES:
            count[self.housing(h)] += 1
        return dict(count)

    @cached_property
    def derived(self) -> list[tuple[tuple[str, int], ...]]:
        table = self.snap.tables["statistic_relations"]
        if table.is_empty():
            return []
        return [
            tuple(
                sorted(
                    zip(
                        g.get_column("statistic").to_list(),
                        g.get_column("coefficient").to_list(),
                        strict=True,
                    )
                )
            )
            for _, g in table.group_by("derivation", maintain_order=True)
        ]


class Protections:
    """One `Protection` per policy for a snapshot, built on first use (thread-safe)."""

    def __init__(self, snap: Snapshot, policies: dict[str, dc.Policy]) -> None:
        self.snap = snap
        self.stats = Statistics(snap)
        self.policies = policies
        self._lock = threading.Lock()
        self._made: dict[dc.Policy, Protection] = {}

    @property
    def available(self) -> bool:
        """Databases loaded before schema 4 have no atoms: nothing can be proven safe there."""
        return not self.snap.tables["atom_values"].is_empty()

    def of(self, policy: dc.Policy) -> Protection:
        with self._lock:
            return self._of(policy)

    def _of(self, policy: dc.Policy) -> Protection:
        if policy not in self._made:
            base = self.policies.get("default")
            start = (
                self._of(base) if base is not None and policy.name == "public" and base != policy else None
            )
            made = Protection(policy)
            for year, (problem, regions) in self.years.items():
                made.years[year] = protect_year(
                    problem, regions, policy, start.partitions(year) if start else None
                )
            self._made[policy] = made
        return self._made[policy]

    @cached_property
    def years(self) -> dict[int, tuple[Year, list[object]]]:
        """Each data year's atoms, regions and statistics as the partition step reads them."""
        values = self.snap.tables["atom_values"]
        members = self.snap.tables["atoms"]
        out: dict[int, tuple[Year, list[object]]] = {}
        if values.is_empty():
            return out
        kinds = self.stats.kinds
        almen = set(
            self.snap.area_names.filter(pl.col("kind") == "almen").select("layer", "area_id").iter_rows()
        )
        code = self.snap.meta.get("municipality_code", "")
        for (year,), part in values.group_by("year"):
            wide = part.pivot(on="statistic", index="atom_id", values="value").sort("atom_id").fill_null(0.0)
            atoms = wide.get_column("atom_id").to_list()
            where = {a: n for n, a in enumerate(atoms)}
            mine = members.filter((pl.col("year") == year) & pl.col("atom_id").is_in(atoms))
            areas: dict[object, np.ndarray] = {}
            for layer, area_id, atom in mine.select("layer", "area_id", "atom_id").iter_rows():
                mask = areas.setdefault(area_region(layer, area_id), np.zeros(len(atoms), dtype=bool))
                mask[where[atom]] = True
                if (layer, area_id) in almen:
                    group = areas.setdefault(almen_region(layer), np.zeros(len(atoms), dtype=bool))
                    group[where[atom]] = True
            regions: list[object] = [*sorted(areas, key=str), (MUNICIPALITY_LAYER, code)]
            masks = np.vstack([*(areas[r] for r in regions[:-1]), np.ones(len(atoms), dtype=bool)])
            stats = {
                s: wide.get_column(s).to_numpy().astype(np.float64) for s in wide.columns if s != "atom_id"
            }
            # what hiding a region costs: the residents its figure is about (the usual loss measure
            # of cell suppression), so a merge stays inside the smallest region it can
            everybody = stats.get(self.stats.residents, np.zeros(len(atoms)))
            weights = 1.0 + masks.astype(np.float64) @ everybody
            kinds_of = {s: kinds.get(s, "sum") for s in stats}
            problem = Year(
                atoms=atoms,
                regions=masks,
                values=stats,
                kinds=kinds_of,
                residents=self.stats.residents,
                rates=self.stats.rates,
                derived=self.stats.derived,
                uses=self.stats.uses,
                weights=weights,
                ties=ties(stats, kinds_of, self.stats.derived),
            )
            out[int(year)] = (problem, regions)
        return out
