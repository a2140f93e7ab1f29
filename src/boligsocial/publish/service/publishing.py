"""How the service publishes: the protections against differencing of each policy (built once,
kept beside the database, or built elsewhere), and every figure, measure and list row through
the disclosure step with the viewer's policy."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from boligsocial.common.errors import DatabaseError
from boligsocial.common.files import kept_dir, kept_lock, read_kept, write_kept
from boligsocial.publish import disclosure as dc
from boligsocial.publish.disclosure.protection import Protection, Region
from boligsocial.publish.service.current import Current
from boligsocial.publish.service.keeping import CODE, shared
from boligsocial.publish.service.move_protection import MoveProtection
from boligsocial.publish.service.move_protection import build as build_moves
from boligsocial.publish.service.snapshot import Viewer


class Publishing(Current):
    """The protections of the current snapshot, and publishing through them."""

    def protection(self, policy: dc.Policy) -> Protection | None:
        """What `policy` publishes against differencing; None for a policy without that protection
        (the analyst's, who sees exact figures)."""
        if not policy.complementary:
            return None
        self.snap  # noqa: B018
        assert self._protections is not None
        if not self._protections.available:
            raise DatabaseError(
                "the database was loaded by an older version of boligsocial; load the delivery again "
                "(bsm load) before publishing from it"
            )
        protections = self._protections
        key = self._built_key("areas", policy)
        made: Protection = shared(key, lambda: self._kept("areas", policy, lambda: protections.of(policy)))
        return made

    def _built_key(self, what: str, policy: dc.Policy) -> tuple[Any, ...]:
        assert self._snap is not None
        return (str(self.db.resolve()), self._snap.mtime, what, policy, self.policies.get("default"))

    def kept_path(self, what: str, policy: dc.Policy) -> Path:
        """The file that keeps a protection of this database's current version: named after what
        it is and everything it depends on (the data's version, both policies, the code that
        made it)."""
        assert self._snap is not None
        depends = repr((self._snap.mtime, what, policy, self.policies.get("default"), CODE))
        digest = hashlib.sha256(depends.encode()).hexdigest()[:20]
        return kept_dir(self.db) / f"{what}-{policy.name}-{digest}.pickle"

    def _kept(self, what: str, policy: dc.Policy, make: Callable[[], Any]) -> Any:
        """The protection from its kept file; else built (here, or by the `builder` elsewhere) and
        kept. Processes that need the same file wait for the one making it."""
        if not self.keep:
            return make()
        path = self.kept_path(what, policy)
        found = read_kept(path)
        if found is not None:
            return found
        if self.builder is not None:
            self.builder(what, policy)  # takes the file's lock itself: not held here
            found = read_kept(path)
            if found is not None:
                return found
        with kept_lock(path):
            found = read_kept(path)
            if found is None:
                found = make()
                write_kept(path, found, stale=f"{what}-{policy.name}-")
        return found

    def move_protection(self, policy: dc.Policy) -> MoveProtection | None:
        """What `policy` publishes of the moves (None without protection against differencing)."""
        protection = self.protection(policy)
        if protection is None:
            return None
        snap, protections = self.snap, self._protections
        assert protections is not None
        # a stricter policy's moves are built on the default's (anyone may look as both)
        base = self.policies.get("default")
        start = (
            self.move_protection(base)
            if base is not None and policy.name == "public" and base != policy
            else None
        )
        with self._moves_lock:
            if policy not in self._moves:
                self._moves[policy] = shared(
                    self._built_key("moves", policy),
                    lambda: self._kept(
                        "moves",
                        policy,
                        lambda: build_moves(
                            snap.tables, snap.area_names, protections, protection, policy, start
                        ),
                    ),
                )
            return self._moves[policy]

    def prepare(self, policies: list[dc.Policy]) -> None:
        """Build the protections of these policies now (a server does it in the background at
        start). A database that cannot be read yet is left for the first request to report."""
        try:
            for policy in policies:
                self.protection(policy)
                self.move_protection(policy)
        except DatabaseError:
            pass

    def figure(
        self,
        numerator: float | None,
        denominator: int | None,
        unit: str,
        v: Viewer,
        year: int,
        region: Region,
        stats: tuple[str, ...],
        count_stat: str | None = None,
        area_small: bool = False,
    ) -> dict[str, Any]:
        """One figure through the disclosure step: the cell rules, then the area rule, then the
        protection against differencing (published only where the region is a union of safe
        blocks of every statistic it is made of). A hidden small count keeps its label only where
        the label cannot be pinned (`count_stat`)."""
        c = dc.cell(numerator, denominator, unit, v.policy)
        if c["state"] == dc.NODATA:
            return c
        protection = self.protection(v.policy)
        if protection is None:
            if area_small:
                dc.suppress(c, dc.AREA_SMALL)
            elif c["state"] == dc.SUPPRESSED:
                c["reason"] = dc.SMALL_COUNT
            return c
        if c["state"] not in dc.HIDDEN and not area_small and protection.published(year, region, stats):
            return c
        if (
            c["state"] in (dc.SMALL, dc.ROUNDED)
            and count_stat is not None
            and protection.may_label(year, region, count_stat)
        ):
            return c
        dc.suppress(c, dc.AREA_SMALL if area_small else dc.DIFFERENCING)
        return c

    def _small(self, v: Viewer, layer: str, area_id: str, year: int, indicator: str) -> bool:
        """Under the minimum population only the residents count is shown."""
        if indicator == "residents" or not v.policy.min_area_population:
            return False
        return self.snap.residents.get((layer, area_id, year), 0) < v.policy.min_area_population

    def measure_gate(self, v: Viewer) -> dc.Gate | None:
        """Is a list measure (or the residents count) of an area published in a data year?"""
        protection = self.protection(v.policy)
        if protection is None:
            return None
        stats = self.stats

        def gate(layer: str, area_id: str, year: int, measure: str) -> bool:
            if measure == dc.LABEL:
                return protection.may_label(year, (layer, area_id), stats.residents)
            parts = (stats.residents,) if measure == "residents" else stats.measure(measure)
            return protection.published(year, (layer, area_id), parts)

        return gate

    def _publish_rows(self, table: pl.DataFrame, viewer: Viewer | None) -> pl.DataFrame:
        """List or forecast rows through the disclosure step, keeping the table's column types."""
        v = viewer or Viewer.operator()
        rows = dc.publish_list_rows(table.to_dicts(), self.snap.blocks, v.policy, gate=self.measure_gate(v))
        states = {f"{m}_state": pl.String for m in dc.MEASURES} | {
            "state": pl.String,
            "hidden_reason": pl.String,
            "residents_label": pl.String,
        }
        return pl.DataFrame(rows, schema={**table.schema, **states})
