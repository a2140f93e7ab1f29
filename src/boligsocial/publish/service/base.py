"""The part of the service every query shares: the snapshot, the memo and parameter checks."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from boligsocial import __version__
from boligsocial.common.errors import DatabaseError, InvalidParameter, NotFound, NotPermitted
from boligsocial.common.files import kept_dir, kept_lock, read_kept, write_kept
from boligsocial.publish import disclosure as dc
from boligsocial.publish.disclosure.protection import Protection, Region
from boligsocial.publish.service.move_protection import MoveProtection
from boligsocial.publish.service.move_protection import build as build_moves
from boligsocial.publish.service.protection import Protections, Statistics
from boligsocial.publish.service.snapshot import Snapshot, Viewer, load_snapshot

#: Protections already built in this process, shared by every service on the same database file
#: and version (the CLI, the exports and the tests make many services over one file): (file,
#: modification time, what, policy, the default policy it is built on) → protection.
_BUILT: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_BUILT_LOCK = threading.Lock()
_BUILT_MAX = 16


_BUILDING: dict[tuple[Any, ...], threading.Lock] = {}


def _shared(key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """The protection under `key`, built once: requests that need it while it is being built (the
    API computes answers in worker threads, several at once) wait for that build instead of each
    making its own."""
    with _BUILT_LOCK:
        if key in _BUILT:
            _BUILT.move_to_end(key)
            return _BUILT[key]
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:
        with _BUILT_LOCK:
            if key in _BUILT:  # built by the one we waited for
                _BUILT.move_to_end(key)
                return _BUILT[key]
        made = make()
        with _BUILT_LOCK:
            _BUILT[key] = made
            _BUILDING.pop(key, None)
            while len(_BUILT) > _BUILT_MAX:
                _BUILT.popitem(last=False)
    return made


def _code_digest() -> str:
    """What the protections' code is: a kept file made by other code (an upgrade that changed how
    cells are protected, without a new version number) is never read."""
    from boligsocial.publish.disclosure import attack, linked, partition, relations
    from boligsocial.publish.disclosure import protection as area_protection
    from boligsocial.publish.service import move_areas, move_cells, move_flows, move_protection, protection

    digest = hashlib.sha256(__version__.encode())
    modules = (partition, linked, attack, relations, area_protection, protection)
    for module in (*modules, move_cells, move_flows, move_areas, move_protection):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


_CODE = _code_digest()


#: Builds the kept protections of (what, policy) for a service somewhere else (a server's own
#: process for it), leaving them in the database's `kept_dir` for this process to read.
Builder = Callable[[str, dc.Policy], None]


class ServiceBase:
    """The snapshot of one database, a memo of answers, and the checks every query shares.

    `policies`: the installation's disclosure policies (a stricter policy is built on the default
    one, so it never shows what the default hides). The protections are kept beside the database
    (`files.kept_dir`) and read back by every process that serves it; `builder`, when given,
    makes a missing one elsewhere instead of in this process (a server's event loop would
    otherwise share the interpreter with minutes of building); `keep=False` neither reads nor
    writes kept files (a benchmark of the building itself)."""

    def __init__(
        self,
        db: Path,
        policies: dict[str, dc.Policy] | None = None,
        builder: Builder | None = None,
        keep: bool = True,
    ) -> None:
        self.db = db
        self.policies = policies if policies is not None else dc.load_policies()
        self.builder = builder
        self.keep = keep
        self._lock = threading.Lock()
        self._moves_lock = threading.Lock()
        self._snap: Snapshot | None = None
        self._protections: Protections | None = None
        self._moves: dict[dc.Policy, MoveProtection] = {}
        self._memo: dict[tuple[Any, ...], Any] = {}

    @property
    def snap(self) -> Snapshot:
        """The current snapshot, reloaded when a load has replaced the database file."""
        mtime = self.db.stat().st_mtime if self.db.exists() else -1.0
        with self._lock:
            if self._snap is None or self._snap.mtime != mtime:
                self._snap = load_snapshot(self.db)
                self._protections = Protections(self._snap, self.policies)
                self._moves = {}
                self._memo.clear()
            return self._snap

    @property
    def stats(self) -> Statistics:
        """Which statistics each published figure is made of."""
        self.snap  # noqa: B018 - reloads when the file changed
        assert self._protections is not None
        return self._protections.stats

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
        made: Protection = _shared(key, lambda: self._kept("areas", policy, lambda: protections.of(policy)))
        return made

    def _built_key(self, what: str, policy: dc.Policy) -> tuple[Any, ...]:
        assert self._snap is not None
        return (str(self.db.resolve()), self._snap.mtime, what, policy, self.policies.get("default"))

    def kept_path(self, what: str, policy: dc.Policy) -> Path:
        """The file that keeps a protection of this database's current version: named after what
        it is and everything it depends on (the data's version, both policies, the code that
        made it)."""
        assert self._snap is not None
        depends = repr((self._snap.mtime, what, policy, self.policies.get("default"), _CODE))
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
                self._moves[policy] = _shared(
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

    def memo(self, key: tuple[Any, ...], produce: Callable[[], Any]) -> Any:
        """A result remembered until the database changes (answers are pure functions of the
        snapshot and the key); bounded so odd keys cannot grow it without limit."""
        self.snap  # noqa: B018 - reloads (and clears the memo) when the file changed
        if key not in self._memo:
            if len(self._memo) > 20_000:
                self._memo.clear()
            self._memo[key] = produce()
        return self._memo[key]

    def may_see_detail(self, viewer: Viewer, layer: str, area_id: str) -> bool:
        """A housing association sees an area in detail (forecast, traffic lights, moves) only where
        its organisation has dwellings and no other organisation has: so no difference of the areas
        it sees in detail is about another organisation's tenants (docs/access.md)."""
        if viewer.role != "housing_association":
            return True
        return area_id in self.own_areas(viewer, layer)

    def own_areas(self, viewer: Viewer, layer: str) -> set[str]:
        """The areas of a layer a housing association sees in detail."""
        orgs = self.snap.tables["area_organisations"]
        if orgs.is_empty() or viewer.organisation is None:
            return set()
        held = orgs.filter(pl.col("layer") == layer).group_by("area_id").agg(pl.col("housing_org").unique())
        return {
            r["area_id"] for r in held.iter_rows(named=True) if set(r["housing_org"]) == {viewer.organisation}
        }

    def may_see_profile(self, viewer: Viewer, layer: str, area_id: str) -> bool:
        """The detailed profile is the area seen in detail (`may_see_detail`)."""
        return self.may_see_detail(viewer, layer, area_id)

    def require_detail(self, viewer: Viewer, layer: str, area_id: str) -> None:
        if not self.may_see_detail(viewer, layer, area_id):
            raise NotPermitted(
                "not-your-area",
                "a housing association sees this only for areas where only its organisation has dwellings",
            )

    def _restrict_rows(self, table: pl.DataFrame, viewer: Viewer, keep: tuple[str, ...]) -> pl.DataFrame:
        """Rows about areas a housing association does not see in detail: only `keep` columns stay."""
        if viewer.role != "housing_association" or table.is_empty():
            return table
        mine = {
            (layer, a)
            for layer in table.get_column("layer").unique().to_list()
            for a in self.own_areas(viewer, layer)
        }
        own = pl.Series([(r[0], r[1]) in mine for r in table.select("layer", "area_id").iter_rows()])
        hidden = [c for c in table.columns if c not in keep and c not in ("state", "hidden_reason")]
        out = table.with_columns(
            *[pl.when(own).then(pl.col(c)).otherwise(None).alias(c) for c in hidden],
            pl.when(own).then(pl.col("state")).otherwise(pl.lit(dc.SUPPRESSED)).alias("state")
            if "state" in table.columns
            else pl.lit(None, pl.String).alias("state"),
            pl.when(own)
            .then(pl.col("hidden_reason") if "hidden_reason" in table.columns else pl.lit(None, pl.String))
            .otherwise(pl.lit("not-your-area"))
            .alias("hidden_reason"),
        )
        return out

    # --- validation of parameters --------------------------------------------------------------

    def valid_layer(self, layer: str) -> str:
        layers = self.layers()
        if layer not in layers:
            raise NotFound("unknown-layer", f"unknown layer '{layer}'", {"allowed": layers})
        return layer

    def valid_year(self, year: int | None, allowed: list[int], what: str = "year") -> int:
        if not allowed:
            raise NotFound(f"no-{what.replace(' ', '-')}", f"no {what}s in this database")
        if year is None:
            return allowed[-1]
        if year not in allowed:
            raise InvalidParameter(
                f"{what.replace(' ', '-')}-out-of-range",
                f"{what} {year} is not available; choose {allowed[0]}–{allowed[-1]}",
                {"allowed": allowed},
            )
        return year

    def _indicator(self, indicator: str) -> dict[str, Any]:
        found = self.snap.tables["indicators"].filter(pl.col("id") == indicator)
        if found.is_empty():
            raise NotFound("unknown-indicator", f"unknown indicator '{indicator}'")
        return found.row(0, named=True)

    def _area(self, layer: str, area_id: str) -> dict[str, Any]:
        self.valid_layer(layer)
        found = self.snap.area_names.filter((pl.col("layer") == layer) & (pl.col("area_id") == area_id))
        if found.is_empty():
            raise NotFound("unknown-area", f"no area '{area_id}' in layer '{layer}'")
        return found.row(0, named=True)

    # --- what the database holds, for outputs that lay out files --------------------------------

    def indicators(self) -> list[dict[str, Any]]:
        """The catalogue of indicators, in catalogue order."""
        return list(self.snap.tables["indicators"].to_dicts())

    def data_years(self) -> list[int]:
        return list(self.snap.data_years)

    def area_names(self, layer: str) -> pl.DataFrame:
        """The layer's areas, one row each: area_id, latest name and kind."""
        return self.snap.area_names.filter(pl.col("layer") == layer).select("area_id", "name", "kind")

    def boundaries(self, layer: str, year: int) -> pl.DataFrame:
        """The layer's boundaries valid in `year`: area_id and geometry (WKB, EPSG:25832)."""
        return self.snap.boundaries(layer, year).select("area_id", "geometry")

    def move_years(self, layer: str) -> list[int]:
        """The move years with moves between the layer's areas."""
        moved = self.snap.tables["move_flows"]
        if moved.is_empty():
            return []
        return sorted(moved.filter(pl.col("layer") == layer).get_column("year").unique().to_list())

    def origin(self) -> dict[str, str]:
        """Where the data come from: municipality name and code, the delivery's fingerprint and
        the rule sets of the stored lists (for a file's provenance)."""
        meta, results = self.snap.meta, self.snap.tables["list_results"]
        rule_sets = sorted(results.get_column("rule_set").unique().to_list()) if results.height else []
        return {
            "municipality_name": meta.get("municipality_name", ""),
            "municipality_code": meta.get("municipality_code", ""),
            "delivery_fingerprint": meta.get("last_fingerprint", ""),
            "rule_sets": ", ".join(rule_sets),
        }

    # --- catalogue -----------------------------------------------------------------------------

    def layers(self) -> list[str]:
        return sorted(self.snap.tables["areas"].get_column("layer").unique().to_list())

    def list_years(self) -> list[int]:
        return sorted(self.snap.tables["list_results"].get_column("list_year").unique().to_list())

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
