"""An outsider's differencing attack on everything the API publishes, as a reusable harness.

The data protection officer's question: can anything the tool publishes identify a person — not one
cell, and not two cells put side by side? This module plays the attacker who tries. It

1. **collects** every answer of every API endpoint as a role sees it (`collect`): in process
   (ASGI, no network), in parallel processes, every request once per role (staff, documented to
   see what politicians see, on a sample that must equal the politician's answers);
2. **knows the truth**: the exact figures, read from the database file read-only (`Truth`);
3. **differences** what it collected, family by family (`attack`): nested and overlapping areas,
   the "other almene areas" series, identities between indicators, year ranges of the flows,
   the accounting identities of the moves, derived figures (displacement, decomposition), a
   linear-algebra attack on the geography (elimination over the atoms with the identities
   between counts, a mixed-integer search for small determined sets of atoms, and the bounds a
   `<5` label and non-negativity give), and what a housing association is refused but rebuilds;
4. **reports** every hidden small count (1..4 persons) it recovers *exactly* — the derived value
   equals the truth and the derivation used only published numbers — per family and role.

A figure is *hidden* for a role when the role's answers hold no value for it. Every derivation is
computed from published numbers and public knowledge only (the definitions of the indicators in
docs/indicators.md, the nesting of the areas). The truth judges a derivation (is the value right,
is it a small count); besides, it keeps only the identities and relations that hold (which can only
weaken the attacker) and it guides the search for small sets (an attacker would evaluate every
determined set from the published numbers; the search finds the same sets faster).

Used by tests/test_attack.py (the example municipality at a tenth of its size) and by
benchmarks/attack.py (any loaded database).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import httpx
import numpy as np
from scipy import linalg as sla
from scipy.optimize import linprog

#: The roles the attacker logs in as (politicians, staff and housing associations).
ATTACK_ROLES = ("politician", "staff", "housing_association")
#: The organisation of the housing-association user.
HOUSING_ORG = "Fjordby Boligselskab"
#: Counts 1..SMALL are small (the default policy's `small_count_max`).
SMALL = 4
#: The share criteria of /displacement and the traits and groupings of /moves/flows.
CRITERIA = ("labour", "crime", "education", "nonwestern")
TRAITS = ("outside_labour", "low_education", "nonwestern", "convicted", "children", "seniors")
GROUPINGS = ("area", "housing_type", "kind")
HOUSING_TYPES = ("almen", "andel", "andet", "ejer", "offentlig", "privat_leje", "ukendt")
#: The families of the attack, in report order.
FAMILIES = (
    "nested",
    "almen_others",
    "identities",
    "year_ranges",
    "accounting",
    "derived",
    "linear_algebra",
    "housing_association",
)
#: Up to this many examples per family and role in the report.
EXAMPLES = 10


def is_small(value: float | None) -> bool:
    """A count of 1..SMALL persons (what must never be recovered)."""
    return value is not None and 0.5 <= value < SMALL + 0.5 and abs(value - round(value)) < 1e-6


# =================================================================================================
# 1. Collecting every answer
# =================================================================================================

Params = tuple[tuple[str, str], ...]
Req = tuple[str, Params]


def req(path: str, **params: Any) -> Req:
    """A request: its path and its (sorted, non-empty) query parameters."""
    return path, tuple(sorted((k, str(v)) for k, v in params.items() if v is not None))


@dataclass
class Answer:
    """One answer: the HTTP status and the parsed JSON body (a flows answer is kept compact: a
    list of (from, to, movers or None, state, label) tuples)."""

    status: int
    body: Any


@dataclass(frozen=True)
class Plan:
    """What to collect, and with how many processes.

    Unfiltered flows are collected for every layer, grouping, trait and range of years. Flows with
    an area or housing-type filter (every filter the API accepts) are collected, by default, for
    every single year of all movers and for the whole period of every trait; `filtered_ranges`
    collects every range of every trait for them too (about four times the requests). `workers`
    processes share the requests (each with its own app on the same database and access file)."""

    roles: tuple[str, ...] = ATTACK_ROLES
    filtered_ranges: bool = False
    workers: int = 2
    #: (role, like, n): roles documented to see what `like` sees (staff and politicians: the same
    #: policy and access) are asked every n-th request only; where all those answers equal the
    #: other role's, the other role's answers stand for theirs (n = 1: everything is asked).
    sampled: tuple[tuple[str, str, int], ...] = (("staff", "politician", 10),)
    #: Seconds after which the collecting processes are stopped (0: never).
    deadline: float = 0.0


@dataclass
class Collection:
    """Every answer per role, with what it took to collect them."""

    answers: dict[str, dict[Req, Answer]]
    meta: dict[str, Any]
    areas: dict[str, list[dict[str, Any]]]  # layer -> [{area_id, name, kind}]
    move_years: list[int]
    seconds: float = 0.0
    sent: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per endpoint
    sampled: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # role: (like, asked, differ)

    def get(self, role: str, path: str, **params: Any) -> Answer | None:
        """The role's answer to a request, if it was collected."""
        return self.answers.get(role, {}).get(req(path, **params))

    def ok(self, role: str, path: str, **params: Any) -> Any:
        """The body of a 200 answer, else None."""
        a = self.get(role, path, **params)
        return a.body if a is not None and a.status == 200 else None


def _compact_flows(rows: list[dict[str, Any]]) -> list[tuple[str, str, float | None, str, str | None]]:
    return [(r["from"], r["to"], r["movers"], r["state"], r.get("label")) for r in rows]


class _Client:
    """In-process requests to the app (ASGI, no network), one bearer token per role; identical
    bodies (roles with the same policy) are parsed once and shared."""

    def __init__(self, app: Any, tokens: dict[str, str]) -> None:
        self.transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.tokens = tokens
        self.parsed: dict[bytes, Any] = {}
        self.sent = 0

    async def get(self, http: httpx.AsyncClient, role: str, r: Req) -> Answer:
        path, params = r
        response = await http.get(
            path, params=dict(params), headers={"Authorization": f"Bearer {self.tokens[role]}"}
        )
        self.sent += 1
        body = response.content
        key = body if len(body) < 64 else body[:32] + str(hash(body)).encode() + path.encode()
        if key not in self.parsed:
            try:
                data = json.loads(body) if body else None
            except ValueError:
                data = body.decode(errors="replace")  # a server error's plain text
            if response.status_code == 200 and path.endswith("/moves/flows"):
                data = _compact_flows(data or [])
            self.parsed[key] = data
        return Answer(response.status_code, self.parsed[key])


def _ranges(years: list[int]) -> list[tuple[int, int]]:
    """Every range a–b of the move years (single years included)."""
    return [(a, b) for i, a in enumerate(years) for b in years[i:]]


def _plan_requests(
    meta: dict[str, Any], areas: dict[str, list[dict[str, Any]]], move_years: list[int], plan: Plan
) -> Iterator[tuple[Req, tuple[str, ...]]]:
    """Every request of the attack, with a shape key: once a shape is refused as a whole (a
    grouping/filter combination the role may not ask for), its other requests are skipped."""
    years = meta["data_years"]
    indicators = [i["id"] for i in meta["indicators"]]
    layers = [layer["id"] for layer in meta["layers"]]
    list_years = meta["list_years"]
    v1 = "/api/v1"
    for layer in layers:
        yield req(f"{v1}/lists", layer=layer), ()
        yield req(f"{v1}/forecast", layer=layer), ()
        yield req(f"{v1}/traffic-lights", layer=layer), ()
        for y in list_years:
            yield req(f"{v1}/lists/watch", layer=layer, year=y), ()
            yield req(f"{v1}/lists/changes", layer=layer, year=y), ()
        for ind in indicators:
            for y in years:
                yield req(f"{v1}/layers/{layer}/values", indicator=ind, year=y), ()
    for layer in layers:
        for a in areas[layer]:
            base = f"{v1}/layers/{layer}/areas/{a['area_id']}"
            for ind in indicators:
                yield req(f"{base}/series", indicator=ind), ()
            for y in years:
                yield req(f"{base}/breakdown", year=y), ()
            yield req(f"{base}/profile"), ()
    for layer in layers:  # the moves last: their disclosure step is built on the first request
        for a in areas[layer]:
            base = f"{v1}/layers/{layer}/areas/{a['area_id']}"
            yield req(f"{base}/moves"), ()
            for c in CRITERIA:
                yield req(f"{base}/displacement", criterion=c), ()
    every = _ranges(move_years)
    whole = [(move_years[0], move_years[-1])] if move_years else []
    singles = [(y, y) for y in move_years]
    flows = f"{v1}/moves/flows"
    for layer in layers:
        for by in GROUPINGS:
            for trait in (None, *TRAITS):
                for lo, hi in every:
                    yield req(flows, layer=layer, by=by, trait=trait, year_from=lo, year_to=hi), ()
    for layer in layers:
        ids = [a["area_id"] for a in areas[layer]]
        for by in GROUPINGS:
            for trait in (None, *TRAITS):
                # by default every single year of all movers, the whole period of each trait
                ranges = every if plan.filtered_ranges else (singles if trait is None else []) + whole
                for lo, hi in ranges:
                    for area in ids:
                        yield (
                            req(flows, layer=layer, by=by, trait=trait, year_from=lo, year_to=hi, area=area),
                            (layer, by, "area"),
                        )
                    for h in HOUSING_TYPES:
                        yield (
                            req(
                                flows,
                                layer=layer,
                                by=by,
                                trait=trait,
                                year_from=lo,
                                year_to=hi,
                                housing_type=h,
                            ),
                            (layer, by, "housing_type"),
                        )
                    if ids:
                        yield (
                            req(
                                flows,
                                layer=layer,
                                by=by,
                                trait=trait,
                                year_from=lo,
                                year_to=hi,
                                area=ids[0],
                                housing_type=HOUSING_TYPES[0],
                            ),
                            (layer, by, "area+housing_type"),
                        )


@dataclass
class _Part:
    """What one process collected."""

    answers: dict[str, dict[Req, Answer]]
    statuses: dict[str, Counter[int]]
    skipped: Counter[str]
    timings: dict[str, float]  # seconds per endpoint
    sent: int
    done: list[int] = field(default_factory=list)  # the requests (by index) it asked


async def _prepare(
    app: Any, tokens: dict[str, str], roles: list[str]
) -> tuple[dict[str, Any], Any, list[int]]:
    """The catalogue every request is planned from: meta, each layer's areas, the move years."""
    client = _Client(app, tokens)
    async with httpx.AsyncClient(
        transport=client.transport, base_url="https://testserver", headers={"Accept-Encoding": "identity"}
    ) as http:
        meta = (await client.get(http, roles[0], req("/api/v1/meta"))).body
        areas: dict[str, list[dict[str, Any]]] = {}
        for layer in meta["layers"]:
            r = req(
                f"/api/v1/layers/{layer['id']}/values", indicator="residents", year=meta["data_years"][-1]
            )
            body = (await client.get(http, roles[0], r)).body
            areas[layer["id"]] = [
                {k: a[k] for k in ("area_id", "name", "kind")}
                for a in sorted(body["areas"], key=lambda a: a["area_id"])
            ]
    # a move year compares the end of the year before with its own end (docs/moves.md)
    return meta, areas, list(meta["data_years"][1:])


async def _run(
    app: Any,
    tokens: dict[str, str],
    roles: list[str],
    todo: list[tuple[int, Req, tuple[str, ...]]],
    every: dict[str, int] | None = None,
    flush: Callable[[_Part], None] | None = None,
) -> _Part:
    """Ask every request of `todo` as every role (one request for all roles before the next, so the
    app's memo serves the roles that share a policy); a role in `every` only every n-th request.
    `flush` is handed what was collected so far every FLUSH_EVERY requests (and that is dropped
    here), so a process stopped at a deadline keeps what it had."""
    every = every or {}
    client = _Client(app, tokens)
    part = _Part({r: {} for r in roles}, {r: Counter() for r in roles}, Counter(), {}, 0)
    refused: dict[str, set[tuple[str, ...]]] = {r: set() for r in roles}
    failures: dict[str, Counter[str]] = {r: Counter() for r in roles}
    async with httpx.AsyncClient(
        transport=client.transport, base_url="https://testserver", headers={"Accept-Encoding": "identity"}
    ) as http:
        for role in roles:
            part.answers[role][req("/api/v1/meta")] = await client.get(http, role, req("/api/v1/meta"))
        for n, (index, r, shape) in enumerate(todo):
            if flush is not None and n and n % FLUSH_EVERY == 0:
                part.sent = client.sent
                flush(part)
                part = _Part({x: {} for x in roles}, {x: Counter() for x in roles}, Counter(), {}, 0)
                client.sent = 0
            part.done.append(index)
            kind = _endpoint(r[0])
            for role in roles:
                if index % every.get(role, 1):
                    part.skipped[f"{role}: not in its sample"] += 1
                    continue
                if shape and shape in refused[role]:
                    part.skipped[f"{role}: grouping and filter refused (4xx) for the role"] += 1
                    continue
                if failures[role][kind] >= BROKEN_AFTER:
                    part.skipped[f"{role}: {kind} failing (server error)"] += 1
                    continue
                t0 = time.perf_counter()
                a = await client.get(http, role, r)
                part.timings[kind] = part.timings.get(kind, 0.0) + time.perf_counter() - t0
                part.answers[role][r] = a
                part.statuses[role][a.status] += 1
                if shape and 400 <= a.status < 500 and _code(a) == "filter-not-published":
                    refused[role].add(shape)
                if a.status >= 500:
                    failures[role][kind] += 1
    part.sent = client.sent
    return part


#: A worker hands over what it collected every this many requests.
FLUSH_EVERY = 500


def _worker(
    db: str,
    access_db: str,
    policy_file: str | None,
    tokens: dict[str, str],
    roles: list[str],
    todo: list[tuple[int, Req, tuple[str, ...]]],
    every: dict[str, int],
    out: Any,
) -> None:
    """One process of the collection: its own app on the same database and access file; what it
    collects goes to the queue `out` in parts, then None."""
    from boligsocial.outputs.web import create_app
    from boligsocial.outputs.web.settings import WebSettings

    settings = WebSettings(access_db=Path(access_db), policy_file=Path(policy_file) if policy_file else None)
    last = asyncio.run(_run(create_app(Path(db), settings), tokens, roles, todo, every, out.put))
    out.put(last)
    out.put(None)


def collect(app: Any, tokens: dict[str, str], plan: Plan | None = None) -> Collection:
    """Every answer of every endpoint for each role of `plan` (a role needs a token in `tokens`),
    shared among `plan.workers` processes; at `plan.deadline` seconds the processes are stopped
    and what they did not ask is reported as skipped (an endpoint that takes that long to answer
    cannot be attacked, and is a finding of its own)."""
    plan = plan or Plan()
    start = time.perf_counter()
    roles = [r for r in plan.roles if r in tokens]
    meta, areas, move_years = asyncio.run(_prepare(app, tokens, roles))
    todo = [(n, r, shape) for n, (r, shape) in enumerate(_plan_requests(meta, areas, move_years, plan))]
    every = {role: n for role, like, n in plan.sampled if role in roles and like in roles and n > 1}
    col = Collection({r: {} for r in roles}, meta, areas, move_years, statuses={r: Counter() for r in roles})
    if plan.workers > 1:
        parts = _in_processes(app, tokens, roles, todo, every, plan, start)
    else:
        parts = [asyncio.run(_run(app, tokens, roles, todo, every))]
    done: set[int] = set()
    for part in parts:
        for role in roles:
            col.answers[role].update(part.answers[role])
            col.statuses[role].update(part.statuses[role])
        col.skipped.update(part.skipped)
        for kind, seconds in part.timings.items():
            col.timings[kind] = col.timings.get(kind, 0.0) + seconds
        col.sent += part.sent
        done.update(part.done)
    for index, r, _shape in todo:
        if index not in done:
            col.skipped[f"{_endpoint(r[0])}: not asked before the deadline"] += 1
    for role, like, _n in plan.sampled:
        if role in every:
            _stand_in(col, role, like)
    col.seconds = time.perf_counter() - start
    return col


def _in_processes(
    app: Any,
    tokens: dict[str, str],
    roles: list[str],
    todo: list[tuple[int, Req, tuple[str, ...]]],
    every: dict[str, int],
    plan: Plan,
    start: float,
) -> list[_Part]:
    """The requests shared among processes, each with its own app; stopped at the deadline."""
    import multiprocessing
    import queue as queues

    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    settings = app.state.settings
    db, access_db = str(app.state.service.db), str(app.state.access.path)
    policy = str(settings.policy_file) if getattr(settings, "policy_file", None) else None
    procs = [
        ctx.Process(
            target=_worker,
            args=(db, access_db, policy, tokens, roles, todo[i :: plan.workers], every, out),
            daemon=True,
        )
        for i in range(plan.workers)
    ]
    for p in procs:
        p.start()
    parts: list[_Part] = []
    running = len(procs)
    while running:
        left = plan.deadline - (time.perf_counter() - start) if plan.deadline else None
        if left is not None and left <= 0:
            break
        try:
            got = out.get(timeout=min(left, 5.0) if left is not None else 5.0)
        except queues.Empty:
            if not any(p.is_alive() for p in procs):
                break
            continue
        if got is None:
            running -= 1
        else:
            parts.append(got)
    for p in procs:
        if p.is_alive():
            p.terminate()
        p.join(5)
    return parts


def _stand_in(col: Collection, role: str, like: str) -> None:
    """Where every sampled answer of `role` equals `like`'s, `like`'s answers stand for all of
    `role`'s (noted in `col.sampled`); else the role keeps its sample."""
    mine, theirs = col.answers[role], col.answers[like]
    differ = [r for r, a in mine.items() if r not in theirs or theirs[r] != a]
    col.sampled[role] = (like, len(mine), len(differ))
    if not differ:
        col.answers[role] = dict(theirs)


#: After this many server errors of one endpoint for a role, its other requests are skipped (a
#: failing disclosure step would otherwise be rebuilt, and fail, on every request).
BROKEN_AFTER = 3


def _endpoint(path: str) -> str:
    """The endpoint of a path, e.g. `series` or `moves/flows`."""
    parts = path.split("/")
    return "moves/flows" if path.endswith("/moves/flows") else parts[-1]


def _code(a: Answer) -> str | None:
    """The error code of a 4xx answer."""
    if isinstance(a.body, dict) and isinstance(a.body.get("error"), dict):
        return a.body["error"].get("code")
    return None


# =================================================================================================
# 2. The truth
# =================================================================================================


@dataclass
class Geography:
    """One data year's atoms: every area of every layer (and the municipality) is a union of them.

    `index`: atom id -> position; `areas`: (layer, area_id) -> 0/1 vector over the atoms."""

    atoms: list[str]
    index: dict[str, int]
    areas: dict[tuple[str, str], np.ndarray]

    def vector(self, atoms: Iterable[str]) -> np.ndarray:
        v = np.zeros(len(self.atoms))
        for a in atoms:
            v[self.index[a]] = 1.0
        return v

    @property
    def everything(self) -> np.ndarray:
        return np.ones(len(self.atoms))


class Truth:
    """The exact figures, read from the database file (read-only): indicator values, atoms and
    their values per statistic, and the moves tables. Used to judge derivations, never as their
    input."""

    def __init__(self, db: Path) -> None:
        con = duckdb.connect(str(db), read_only=True)
        try:
            self._read(con)
        finally:
            con.close()

    def _frame(self, con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _read(self, con: duckdb.DuckDBPyConnection) -> None:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        self.schema_version = meta.get("schema_version")
        self.municipality = meta.get("municipality_code", "")
        self.missing = sorted(
            {"atoms", "atom_values", "statistics", "move_flows", "move_areas", "mover_profiles"} - tables
        )
        stats = self._frame(con, "SELECT * FROM statistics") if "statistics" in tables else []
        self.canonical = {r["id"]: r["canonical"] for r in stats}
        self.kind = {r["canonical"]: r["kind"] for r in stats}
        self.values: dict[tuple[str, str, int, str], tuple[float, float]] = {}
        self.housing: dict[tuple[str, str, int, str], float] = {}
        for layer, area, year, ind, h, num, den in con.execute(
            "SELECT layer, area_id, year, indicator, housing_type, numerator, denominator "
            "FROM indicator_values"
        ).fetchall():
            if h == "*":
                self.values[(layer, area, int(year), ind)] = (float(num or 0), float(den or 0))
            elif ind == "residents":
                self.housing[(layer, area, int(year), h)] = float(num or 0)
        self.kinds = {
            (r["layer"], r["area_id"]): r["kind"]
            for r in self._frame(con, "SELECT layer, area_id, kind FROM areas ORDER BY valid_to NULLS LAST")
        }
        self.orgs: dict[tuple[str, str], set[str]] = defaultdict(set)
        for layer, area, org in con.execute(
            "SELECT layer, area_id, housing_org FROM area_organisations"
        ).fetchall():
            self.orgs[(layer, area)].add(org)
        self.geo: dict[int, Geography] = {}
        self.atom_values: dict[int, dict[str, np.ndarray]] = {}
        if "atoms" in tables and "atom_values" in tables:
            self._read_atoms(con)
        self.flows = self._frame(con, "SELECT * FROM move_flows") if "move_flows" in tables else []
        self.tallies = {
            (r["layer"], int(r["year"]), r["area_id"]): r
            for r in (self._frame(con, "SELECT * FROM move_areas") if "move_areas" in tables else [])
        }
        self.profiles = {
            (r["layer"], int(r["year"]), r["area_id"], r["group"]): r
            for r in (self._frame(con, "SELECT * FROM mover_profiles") if "mover_profiles" in tables else [])
        }
        self.displaced = {
            (r["layer"], int(r["year"]), r["from_area"], r["to_area"]): r
            for r in (self._frame(con, "SELECT * FROM move_displaced") if "move_displaced" in tables else [])
        }
        self.decomposition = {
            (r["layer"], r["area_id"], int(r["year"]), r["criterion"]): r
            for r in (
                self._frame(con, "SELECT * FROM move_decomposition") if "move_decomposition" in tables else []
            )
        }
        ages = con.execute("SELECT min(ages) FROM criteria_inputs").fetchone()
        self.blocks = {
            (r["layer"], r["area_id"], int(r["year"])): r
            for r in self._frame(
                con, f"SELECT * FROM criteria_inputs WHERE ages = '{ages[0] if ages else ''}'"
            )
        }
        self.crit_prefix = f"crit:{ages[0]}:" if ages and ages[0] else ""

    def _read_atoms(self, con: duckdb.DuckDBPyConnection) -> None:
        members: dict[int, dict[tuple[str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
        atoms: dict[int, set[str]] = defaultdict(set)
        for year, atom, layer, area in con.execute(
            "SELECT year, atom_id, layer, area_id FROM atoms"
        ).fetchall():
            members[int(year)][(layer, area)].append(atom)
            atoms[int(year)].add(atom)
        values: dict[int, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
        for year, atom, stat, value in con.execute(
            "SELECT year, atom_id, statistic, value FROM atom_values"
        ).fetchall():
            values[int(year)][stat][atom] = float(value or 0)
            atoms[int(year)].add(atom)
        for year in sorted(atoms):
            order = sorted(atoms[year])
            index = {a: n for n, a in enumerate(order)}
            geo = Geography(order, index, {})
            for key, ids in members[year].items():
                geo.areas[key] = geo.vector(ids)
            self.geo[year] = geo
            self.atom_values[year] = {
                s: np.array([per.get(a, 0.0) for a in order]) for s, per in values[year].items()
            }

    # --- statistics ------------------------------------------------------------------------

    def stat(self, name: str) -> str:
        """The canonical statistic of a figure name (`ind:<indicator>:num|den`, `res:<housing>`,
        `crit:<ages>:<block>`): figures about the same persons share one statistic."""
        return self.canonical.get(name, name)

    def is_count(self, stat: str) -> bool:
        return self.kind.get(stat, "count") == "count"

    def region_value(self, year: int, vector: np.ndarray, stat: str) -> float | None:
        """The true value of a statistic over a set of atoms (a vector of coefficients)."""
        values = self.atom_values.get(year, {}).get(stat)
        if values is None:
            return None
        return float(vector @ values)

    def functional(self, year: int, terms: dict[str, np.ndarray]) -> float | None:
        """The true value of Σ_stat vector·values (a combination of statistics over atoms)."""
        total = 0.0
        for stat, vec in terms.items():
            v = self.region_value(year, vec, stat)
            if v is None:
                return None
            total += v
        return total


# =================================================================================================
# 3. What a role knows: the published figures, normalised
# =================================================================================================

Region = tuple[str, ...]  # ("area", layer, id) | ("kommune",) | ("almen", layer) | ("almen-but", layer, id)
HIDDEN_STATES = ("small", "rounded", "suppressed")
SHOWN_STATES = ("ok", "uncertain")


def region_name(region: Region) -> str:
    """A readable name of a region."""
    if region[0] == "area":
        return f"{region[1]}/{region[2]}"
    if region[0] == "kommune":
        return "the municipality"
    if region[0] == "almen":
        return f"all almene areas of {region[1]}"
    return f"all almene areas of {region[1]} but {region[2]}"


@dataclass
class Figure:
    """One published (or hidden) count about a region in a data year. `value` is None when the
    role's answers hold no value for it; `label` says a hidden one was labelled `<5` (1..4)."""

    year: int
    region: Region
    stat: str
    value: float | None
    label: bool
    source: str


@dataclass
class Ratio:
    """A published share whose counts are not published with it (num = ratio × den)."""

    year: int
    region: Region
    num: str
    den: str
    ratio: float
    source: str


@dataclass
class GeoKnowledge:
    """The figures about areas a role has seen: per (year, region, statistic) the published value
    (or that it was hidden), and the shares published without their counts."""

    figures: dict[tuple[int, Region, str], Figure] = field(default_factory=dict)
    ratios: list[Ratio] = field(default_factory=list)

    def add(
        self, year: int, region: Region, stat: str, value: float | None, label: bool, source: str
    ) -> None:
        """Record a figure; a value published anywhere wins over the same figure hidden elsewhere."""
        key = (year, region, stat)
        old = self.figures.get(key)
        if old is None or (old.value is None and value is not None) or (old.value is None and label):
            self.figures[key] = Figure(year, region, stat, value, label or bool(old and old.label), source)

    def known(self, year: int, region: Region, stat: str) -> float | None:
        f = self.figures.get((year, region, stat))
        return f.value if f is not None else None

    def published(self) -> Iterator[Figure]:
        return (f for f in self.figures.values() if f.value is not None)

    def hidden(self) -> Iterator[Figure]:
        return (f for f in self.figures.values() if f.value is None)


class Regions:
    """The atoms of every region in every year (from the truth's atoms table: the nesting of the
    areas is public, it is the geography) and the kinds of the areas (from the answers)."""

    def __init__(self, truth: Truth, areas: dict[str, list[dict[str, Any]]]) -> None:
        self.truth = truth
        self.almen = {
            layer: [a["area_id"] for a in rows if a["kind"] == "almen"] for layer, rows in areas.items()
        }
        self._cache: dict[tuple[int, Region], np.ndarray | None] = {}

    def vector(self, year: int, region: Region) -> np.ndarray | None:
        """The region as coefficients over the year's atoms (None where it has no atoms)."""
        key = (year, region)
        if key not in self._cache:
            self._cache[key] = self._vector(year, region)
        return self._cache[key]

    def _vector(self, year: int, region: Region) -> np.ndarray | None:
        geo = self.truth.geo.get(year)
        if geo is None:
            return None
        if region[0] == "kommune":
            return geo.everything
        if region[0] == "area":
            return geo.areas.get((region[1], region[2]))
        if region[0] in ("almen", "almen-but"):
            parts = [
                geo.areas[(region[1], a)]
                for a in self.almen.get(region[1], [])
                if (region[1], a) in geo.areas
            ]
            if not parts:
                return None
            total = np.sum(parts, axis=0)
            if region[0] == "almen-but":
                own = geo.areas.get((region[1], region[2]))
                if own is not None and region[2] in self.almen.get(region[1], []):
                    total = total - own
            return total
        return None

    def truth_of(self, year: int, region: Region, stat: str) -> float | None:
        v = self.vector(year, region)
        return None if v is None else self.truth.region_value(year, v, stat)


def _cell(row: dict[str, Any]) -> tuple[float | None, float | None, bool, bool]:
    """(numerator, denominator, shown, labelled) of a published cell."""
    state = row.get("state")
    shown = state in SHOWN_STATES
    label = state == "small" and bool(row.get("label"))
    return (row.get("numerator") if shown else None, row.get("denominator") if shown else None, shown, label)


def geo_knowledge(col: Collection, role: str, truth: Truth) -> GeoKnowledge:
    """Every count about areas the role's answers publish or hide: indicator values, series
    (with the other almene areas), breakdowns, list rows, watch lists, tallies' residents, and the
    shares of lists and decompositions (as ratios)."""
    k = GeoKnowledge()
    units = {i["id"]: i["unit"] for i in col.meta["indicators"]}
    for (path, params), ans in col.answers.get(role, {}).items():
        body: Any = ans.body
        if ans.status != 200 or not isinstance(body, dict | list):
            continue
        p = dict(params)
        parts = path.split("/")
        if path.endswith("/values"):
            _from_values(k, truth, body, units)
        elif path.endswith("/series"):
            _from_series(k, truth, body, parts[4], parts[6])
        elif path.endswith("/breakdown"):
            _from_breakdown(k, truth, body, parts[4], parts[6])
        elif path.endswith("/lists") or path.endswith("/profile"):
            rows = ans.body if isinstance(ans.body, list) else ans.body.get("lists", [])
            _from_list_rows(k, truth, rows, path if not p else f"{path}?{p}")
        elif path.endswith("/lists/watch") or path.endswith("/lists/changes"):
            for r in ans.body:
                year = int(p["year"]) - 1
                _residents_row(
                    k, truth, year, ("area", p["layer"], r["area_id"]), r.get("residents"), False, path
                )
        elif path.endswith("/moves") and isinstance(ans.body, dict):
            _from_area_moves(k, truth, ans.body, parts[4], parts[6])
    return k


def _from_values(k: GeoKnowledge, truth: Truth, body: Any, units: dict[str, str]) -> None:
    ind, year, layer = body["indicator"]["id"], int(body["year"]), body["layer"]
    num_s, den_s = truth.stat(f"ind:{ind}:num"), truth.stat(f"ind:{ind}:den")
    src = f"values {layer}/{ind}/{year}"
    rows: list[tuple[Region, dict[str, Any]]] = [(("area", layer, r["area_id"]), r) for r in body["areas"]]
    if body.get("municipality"):
        rows.append((("kommune",), body["municipality"]))
    for region, r in rows:
        if r.get("state") == "nodata":
            continue
        num, den, _shown, label = _cell(r)
        k.add(year, region, num_s, num, label and units.get(ind) == "count", src)
        if den_s != num_s:
            k.add(year, region, den_s, None if den is None else float(den), False, src)


def _from_series(k: GeoKnowledge, truth: Truth, body: Any, layer: str, area: str) -> None:
    ind = body["indicator"]["id"]
    num_s, den_s = truth.stat(f"ind:{ind}:num"), truth.stat(f"ind:{ind}:den")
    own = body["area"]["kind"] == "almen"
    groups: list[tuple[Region, list[dict[str, Any]]]] = [
        (("area", layer, area), body["area_series"]),
        (("kommune",), body["municipality"]),
        (("almen-but", layer, area) if own else ("almen", layer), body["almen"]),
    ]
    for region, points in groups:
        for r in points:
            if r.get("state") == "nodata":
                continue
            num, den, _shown, label = _cell(r)
            src = f"series {layer}/{area}/{ind}"
            k.add(int(r["year"]), region, num_s, num, label and body["indicator"]["unit"] == "count", src)
            if den_s != num_s:
                k.add(int(r["year"]), region, den_s, None if den is None else float(den), False, src)


def _from_breakdown(k: GeoKnowledge, truth: Truth, body: Any, layer: str, area: str) -> None:
    year = int(body["year"])
    region: Region = ("area", layer, area)
    for r in body.get("age", []):
        shown = r["state"] in SHOWN_STATES
        k.add(
            year,
            region,
            truth.stat(f"ind:{r['indicator']}:num"),
            r["persons"] if shown else None,
            r["state"] == "small" and bool(r.get("label")),
            f"breakdown {layer}/{area}/{year}",
        )
    for r in body.get("housing", []):
        shown = r["state"] in SHOWN_STATES
        k.add(
            year,
            region,
            truth.stat(f"res:{r['housing_type']}"),
            r["persons"] if shown else None,
            r["state"] == "small" and bool(r.get("label")),
            f"breakdown {layer}/{area}/{year}",
        )


def _residents_row(
    k: GeoKnowledge, truth: Truth, year: int, region: Region, value: Any, label: bool, source: str
) -> None:
    k.add(
        year, region, truth.stat("ind:residents:num"), None if value is None else float(value), label, source
    )


def _from_list_rows(k: GeoKnowledge, truth: Truth, rows: list[dict[str, Any]], source: str) -> None:
    """List rows: residents (at the end of the first data year), the residents margin, and the
    single-year shares (non-western of the residents, education of the 30-59-year-olds)."""
    crit = truth.crit_prefix
    for r in rows:
        years = [int(y) for y in str(r.get("data_years") or "").split(",") if y]
        if not years:
            continue
        first, region = years[0], ("area", r["layer"], r["area_id"])
        residents = r.get("residents")
        if residents is None and r.get("residents_margin") is not None:
            residents = r["residents_margin"] + 1000  # the margin is residents - 1000
        _residents_row(k, truth, first, region, residents, bool(r.get("residents_label")), f"lists {source}")
        if r.get("nonwestern_share") is not None and r.get("nonwestern_state") in SHOWN_STATES:
            k.ratios.append(
                Ratio(
                    first,
                    region,
                    truth.stat(crit + "nonwestern"),
                    truth.stat(crit + "residents"),
                    float(r["nonwestern_share"]),
                    f"lists {r['list_year']} nonwestern_share",
                )
            )
        if r.get("education_share") is not None and r.get("education_state") in SHOWN_STATES:
            k.ratios.append(
                Ratio(
                    first,
                    region,
                    truth.stat(crit + "education_count"),
                    truth.stat(crit + "education_n"),
                    float(r["education_share"]),
                    f"lists {r['list_year']} education_share",
                )
            )


#: Decomposition criteria whose yearly value is a share of two counts (crime, education, origin).
DECOMPOSED_SHARES = {
    "crime": ("crime_count", "crime_n"),
    "education": ("education_count", "education_n"),
    "nonwestern": ("nonwestern", "residents"),
}


def _from_area_moves(k: GeoKnowledge, truth: Truth, body: dict[str, Any], layer: str, area: str) -> None:
    """The residents at both year-ends of the tallies, and the criterion values before and after
    of the decomposition (ratios)."""
    region: Region = ("area", layer, area)
    for t in body.get("tallies", []):
        y = int(t["year"])
        for key, year in (("residents_before", y - 1), ("residents_after", y)):
            state = t.get(f"{key}_state", "ok")
            _residents_row(
                k,
                truth,
                year,
                region,
                t.get(key) if state == "ok" else None,
                state == "small",
                f"moves {layer}/{area} {key} {y}",
            )
    crit = truth.crit_prefix
    for d in body.get("decomposition", []):
        if d.get("state") not in SHOWN_STATES or d["criterion"] not in DECOMPOSED_SHARES:
            continue
        num, den = DECOMPOSED_SHARES[d["criterion"]]
        for key, year in (("before", int(d["year"]) - 1), ("after", int(d["year"]))):
            if d.get(key) is not None:
                k.ratios.append(
                    Ratio(
                        year,
                        region,
                        truth.stat(crit + num),
                        truth.stat(crit + den),
                        float(d[key]),
                        f"moves {layer}/{area} decomposition {d['criterion']} {d['year']} {key}",
                    )
                )


# =================================================================================================
# 4. Findings and the report
# =================================================================================================


@dataclass
class Finding:
    """A hidden small count recovered exactly: what, the derived value, the truth, and how."""

    family: str
    what: str
    derived: float
    truth: float
    derivation: str
    key: tuple[Any, ...]


@dataclass
class Report:
    """Per family and role: the recovered hidden small counts (deduplicated), with notes on the
    checks of the attacker's model and the time each step took."""

    findings: dict[str, dict[str, dict[tuple[Any, ...], Finding]]] = field(
        default_factory=lambda: {f: {} for f in FAMILIES}
    )
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    roles: list[str] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    bounded: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, family): the bounding role

    def add(self, role: str, finding: Finding) -> None:
        self.findings[finding.family].setdefault(role, {}).setdefault(finding.key, finding)

    def recovered(self, family: str | None = None, role: str | None = None) -> int:
        """How many hidden small counts were recovered (in a family, by a role)."""
        return sum(
            len(found)
            for fam, per_role in self.findings.items()
            if family in (None, fam)
            for r, found in per_role.items()
            if role in (None, r)
        )

    def examples(self, family: str, role: str, n: int = EXAMPLES) -> list[Finding]:
        return list(self.findings[family].get(role, {}).values())[:n]

    def text(self, families: Iterable[str] = FAMILIES, details: bool = True) -> str:
        """The report, per family and role, with up to EXAMPLES examples each (and, with
        `details`, what was attacked, the model checks and the time taken)."""
        lines = []
        for fam in families:
            per_role = self.findings[fam]
            total = sum(len(v) for v in per_role.values())
            lines.append(f"== {fam}: {total} recovered")
            for role in self.roles:
                found = per_role.get(role, {})
                if (role, fam) in self.bounded:
                    other = self.bounded[(role, fam)]
                    lines.append(
                        f"   {role}: not run separately: everything it is shown is shown to {other}, "
                        f"so it finds at most what {other} finds"
                    )
                    continue
                lines.append(f"   {role}: {len(found)}")
                for f in list(found.values())[:EXAMPLES]:
                    lines.append(f"     - {f.what}: derived {_num(f.derived)}, truth {_num(f.truth)}")
                    lines.append(f"       {f.derivation}")
        if not details:
            return "\n".join(lines)
        if self.counts:
            lines.append("== what was attacked")
            lines.extend(f"   {k}: {v}" for k, v in self.counts.items())
        if self.notes:
            lines.append("== notes")
            lines.extend(f"   {n}" for n in self.notes)
        if self.seconds:
            lines.append("== seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.seconds.items()))
        return "\n".join(lines)


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    return str(round(x)) if abs(x - round(x)) < 1e-6 else f"{x:.6g}"


def _judge(derived: float, truth: float | None) -> bool:
    """A derivation recovers a small count when it equals the truth and the truth is small."""
    return truth is not None and abs(derived - truth) < 1e-6 and is_small(truth)


# =================================================================================================
# 5. The geography: nested areas, the other almene areas, identities, linear algebra
# =================================================================================================


def count_identities(truth: Truth) -> list[tuple[str, dict[str, int]]]:
    """Exact identities between the counts of one area (from the indicators' definitions,
    docs/indicators.md), each Σ coefficient × statistic = 0 for every set of persons' addresses."""
    s = truth.stat
    r = s("ind:residents:num")
    a0, a6, a17, a30, a65 = (
        s(f"ind:{a}:num") for a in ("age_0_5", "age_6_16", "age_17_29", "age_30_64", "age_65_plus")
    )
    c, y = s("ind:children_0_17:num"), s("ind:young_18_29:num")
    adults, working = s("ind:convicted_18plus:den"), s("ind:outside_labour_18_64:den")
    dk, imm, desc = (
        s("ind:origin_danish_share:num"),
        s("ind:immigrants_share:num"),
        s("ind:descendants_share:num"),
    )
    nw, west = s("ind:nonwestern_share:num"), s("ind:western_immigrants_share:num")
    raw = [
        ("residents = the five age groups", [(r, 1), (a0, -1), (a6, -1), (a17, -1), (a30, -1), (a65, -1)]),
        (
            "17-year-olds: children_0_17 - age_0_5 - age_6_16 = age_17_29 - young_18_29",
            [(c, 1), (a0, -1), (a6, -1), (a17, -1), (y, 1)],
        ),
        ("aged 18+ = residents - children_0_17", [(adults, 1), (r, -1), (c, 1)]),
        ("aged 18-64 = young_18_29 + age_30_64", [(working, 1), (y, -1), (a30, -1)]),
        ("residents = Danish + immigrants + descendants", [(r, 1), (dk, -1), (imm, -1), (desc, -1)]),
        ("immigrants + descendants = western + non-western", [(imm, 1), (desc, 1), (west, -1), (nw, -1)]),
        ("residents = the housing types", [(r, 1)] + [(s(f"res:{h}"), -1) for h in HOUSING_TYPES]),
    ]
    out = []
    for name, terms in raw:
        merged: dict[str, int] = defaultdict(int)
        for stat, coef in terms:
            merged[stat] += coef
        merged = {k: v for k, v in merged.items() if v}
        if len(merged) > 1:
            out.append((name, dict(merged)))
    return out


def person_sets(truth: Truth, meta: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    """Sets of persons that are differences of published counts (never published themselves):
    the complement of every share (its population without the trait) and some age bands."""
    s = truth.stat
    out = []
    for ind in meta["indicators"]:
        if ind["unit"] == "share":
            num, den = s(f"ind:{ind['id']}:num"), s(f"ind:{ind['id']}:den")
            if num != den and truth.is_count(num) and truth.is_count(den):
                out.append((f"{ind['id']}: population without the trait", {den: 1, num: -1}))
    bands = [
        (
            "17-year-olds",
            {s("ind:children_0_17:num"): 1, s("ind:age_0_5:num"): -1, s("ind:age_6_16:num"): -1},
        ),
        ("16-year-olds", {s("ind:students_16_29:den"): 1, s("ind:age_17_29:num"): -1}),
        ("16-17-year-olds", {s("ind:students_16_29:den"): 1, s("ind:young_18_29:num"): -1}),
        ("60-64-year-olds", {s("ind:age_30_64:num"): 1, s("ind:higher_education_30_59:den"): -1}),
    ]
    out.extend(bands)
    unique: dict[tuple[tuple[str, int], ...], tuple[str, dict[str, int]]] = {}
    for name, terms in out:
        key = tuple(sorted(terms.items()))
        unique.setdefault(key, (name, terms))
    return list(unique.values())


def _hold(truth: Truth, terms: dict[str, int], exact: bool) -> bool:
    """Does an identity hold (exact) or a person set stay non-negative on every atom of every year?"""
    for values in truth.atom_values.values():
        if any(s not in values for s in terms):
            return False
        total = np.sum([c * values[s] for s, c in terms.items()], axis=0)
        if exact and np.abs(total).max(initial=0.0) > 1e-6:
            return False
        if not exact and total.min(initial=0.0) < -1e-6:
            return False
    return True


def _vkey(v: np.ndarray) -> bytes:
    return np.asarray(np.rint(v * 1e6), dtype=np.int64).tobytes()


def _atoms_text(truth: Truth, year: int, v: np.ndarray) -> str:
    """A short description of a set of atoms: the areas that hold all of it."""
    geo = truth.geo[year]
    inside = [f"{layer}/{area}" for (layer, area), m in geo.areas.items() if np.all(m >= v - 1e-9)]
    return f"{round(v.sum())} atom(s) inside {', '.join(sorted(inside)) or 'no single area'}"


class GeoAttack:
    """The geography families for one role's knowledge."""

    def __init__(self, truth: Truth, regions: Regions, k: GeoKnowledge, meta: dict[str, Any]) -> None:
        self.truth, self.regions, self.k, self.meta = truth, regions, k, meta
        self.by_year: dict[int, dict[str, dict[Region, float]]] = defaultdict(lambda: defaultdict(dict))
        self.sums: dict[tuple[int, Region, str], float] = {}  # published sums (FTE, kroner, ages)
        for f in k.published():
            if truth.is_count(f.stat):
                self.by_year[f.year][f.stat][f.region] = f.value  # type: ignore[assignment]
            else:
                self.sums[(f.year, f.region, f.stat)] = f.value  # type: ignore[assignment]
        self.hidden: dict[int, dict[str, list[Figure]]] = defaultdict(lambda: defaultdict(list))
        for f in k.hidden():
            if truth.is_count(f.stat):
                self.hidden[f.year][f.stat].append(f)
        self._ids: list[tuple[str, dict[str, int]]] | None = None
        self._ratios: dict[tuple[int, Region], list[Ratio]] = defaultdict(list)
        self.published_sets: dict[tuple[int, str], set[bytes]] = defaultdict(set)
        for year, per_stat in self.by_year.items():
            for stat, per_region in per_stat.items():
                for region in per_region:
                    v = regions.vector(year, region)
                    if v is not None:
                        self.published_sets[(year, stat)].add(_vkey(v))

    def _found(
        self,
        family: str,
        year: int,
        stat: str,
        vector: np.ndarray,
        derived: float,
        how: str,
        what: str | None = None,
    ) -> Finding | None:
        """A finding when a derived count over a set of atoms is small, right and not published."""
        if not is_small(derived) or _vkey(vector) in self.published_sets[(year, stat)]:
            return None
        truth = self.truth.region_value(year, vector, stat)
        if truth is None or abs(truth - derived) > 1e-6:
            return None
        what = what or f"{year} {stat} over {_atoms_text(self.truth, year, vector)}"
        return Finding(family, what, derived, truth, how, (year, stat, _vkey(vector)))

    # --- nested and overlapping areas --------------------------------------------------------

    def nested(self) -> Iterator[Finding]:
        """A ⊇ B (any layers): A − B; a parent minus its published children in any other layer;
        equal areas under two names (one published, one hidden)."""
        for year, per_stat in sorted(self.by_year.items()):
            names: list[Region] = [("kommune",)] + [
                ("area", layer, area) for (layer, area) in sorted(self.truth.geo[year].areas)
            ]
            vecs = {n: v for n in names if (v := self.regions.vector(year, n)) is not None and v.sum() > 0}
            names = [n for n in names if n in vecs]
            m = np.vstack([vecs[n] for n in names])
            inside = (m @ (1 - m).T) == 0  # inside[b, a]: every atom of b is in a
            for stat, known in per_stat.items():
                for i, a in enumerate(names):
                    if a not in known:
                        continue
                    for j, b in enumerate(names):
                        if i == j or not inside[j, i] or b not in known:
                            continue
                        d = known[a] - known[b]
                        f = self._found(
                            "nested",
                            year,
                            stat,
                            m[i] - m[j],
                            d,
                            f"{region_name(a)} ({_num(known[a])}) - {region_name(b)} ({_num(known[b])})",
                        )
                        if f:
                            yield f
                    yield from self._minus_children(year, stat, known, a, m[i], names, m, inside[:, i])
                yield from self._equal_areas(year, stat, known, names, m)

    def _minus_children(
        self,
        year: int,
        stat: str,
        known: dict[Region, float],
        parent: Region,
        pv: np.ndarray,
        names: list[Region],
        m: np.ndarray,
        inside: np.ndarray,
    ) -> Iterator[Finding]:
        layers = {n[1] for n in names if n[0] == "area"} - ({parent[1]} if parent[0] == "area" else set())
        for layer in sorted(layers):
            kids = [j for j, n in enumerate(names) if n[0] == "area" and n[1] == layer and inside[j]]
            shown = [j for j in kids if names[j] in known]
            if len(shown) < 2:
                continue  # one child is the pairwise difference already
            rest = pv - m[shown].sum(axis=0)
            if rest.sum() < 0.5 or rest.min() < -1e-9:
                continue
            d = known[parent] - sum(known[names[j]] for j in shown)
            how = (
                f"{region_name(parent)} ({_num(known[parent])}) - its {len(shown)} published {layer} areas "
                f"({_num(sum(known[names[j]] for j in shown))})"
            )
            f = self._found("nested", year, stat, rest, d, how)
            if f:
                yield f

    def _equal_areas(
        self, year: int, stat: str, known: dict[Region, float], names: list[Region], m: np.ndarray
    ) -> Iterator[Finding]:
        by_set: dict[bytes, list[int]] = defaultdict(list)
        for i, _ in enumerate(names):
            by_set[_vkey(m[i])].append(i)
        for same in by_set.values():
            shown = [i for i in same if names[i] in known]
            hidden = [i for i in same if names[i] not in known]
            if shown and hidden:
                v = known[names[shown[0]]]
                if is_small(v):
                    truth = self.truth.region_value(year, m[shown[0]], stat)
                    if truth is not None and _judge(v, truth):
                        yield Finding(
                            "nested",
                            f"{year} {stat} of {region_name(names[hidden[0]])}",
                            v,
                            truth,
                            f"the same atoms as {region_name(names[shown[0]])}, published",
                            (year, stat, _vkey(m[shown[0]])),
                        )

    # --- the other almene areas --------------------------------------------------------------

    def almen_others(self) -> Iterator[Finding]:
        """All almene areas of a layer (a non-almen area's series) minus "all but this one" (an
        almen area's series), and every combination of them: solved exactly per year and count."""
        for year, per_stat in sorted(self.by_year.items()):
            for layer, ids in sorted(self.regions.almen.items()):
                if not ids:
                    continue
                for stat, known in per_stat.items():
                    eqs: list[tuple[list[Fraction], Fraction, str]] = []
                    n = len(ids)
                    for i, a in enumerate(ids):
                        if ("area", layer, a) in known:
                            eqs.append(
                                (
                                    [Fraction(int(j == i)) for j in range(n)],
                                    Fraction(known[("area", layer, a)]).limit_denominator(10**6),
                                    f"{a}",
                                )
                            )
                        if ("almen-but", layer, a) in known:
                            eqs.append(
                                (
                                    [Fraction(int(j != i)) for j in range(n)],
                                    Fraction(known[("almen-but", layer, a)]).limit_denominator(10**6),
                                    f"all but {a}",
                                )
                            )
                    if ("almen", layer) in known:
                        eqs.append(
                            (
                                [Fraction(1)] * n,
                                Fraction(known[("almen", layer)]).limit_denominator(10**6),
                                "all",
                            )
                        )
                    if not any(e[2].startswith("all") for e in eqs):
                        continue
                    for i, value in _solve_exact(eqs, n).items():
                        region: Region = ("area", layer, ids[i])
                        if region in known:
                            continue
                        v = self.regions.vector(year, region)
                        if v is None:
                            continue
                        how = "series 'almen': " + ", ".join(sorted({e[2] for e in eqs})[:6])
                        f = self._found(
                            "almen_others",
                            year,
                            stat,
                            v,
                            float(value),
                            how,
                            f"{year} {stat} of {region_name(region)}",
                        )
                        if f:
                            yield f

    # --- identities between indicators of one area ---------------------------------------------

    def _closure(self, year: int, region: Region, known: dict[str, float]) -> dict[str, str]:
        """Work the exact identities and the region's published shares through `known` (in
        place) until nothing more follows; returns how each new count was found."""
        if self._ids is None:
            self._ids = [(n, t) for n, t in count_identities(self.truth) if _hold(self.truth, t, exact=True)]
            self._ratios = defaultdict(list)
            for r in self.k.ratios:
                self._ratios[(r.year, r.region)].append(r)
        how: dict[str, str] = {}
        changed = True
        while changed:
            changed = False
            for name, terms in self._ids:
                missing = [s for s in terms if s not in known]
                if len(missing) == 1:
                    t = missing[0]
                    known[t] = -sum(c * known[s] for s, c in terms.items() if s != t) / terms[t]
                    how[t] = name
                    changed = True
            for r in self._ratios.get((year, region), []):
                if r.den in known and r.num not in known:
                    known[r.num], how[r.num] = r.ratio * known[r.den], f"{r.source} x {r.den}"
                    changed = True
        return how

    def region_known(self, year: int, region: Region) -> dict[str, tuple[float, str]]:
        """Every count of a region the role knows: published for it (or for an area with the same
        atoms), or following from those by the identities."""
        v = self.regions.vector(year, region)
        if v is None:
            return {}
        key = _vkey(v)
        same = [
            reg
            for reg in {r for per in self.by_year.get(year, {}).values() for r in per}
            if (w := self.regions.vector(year, reg)) is not None and _vkey(w) == key
        ]
        known: dict[str, float] = {}
        source: dict[str, str] = {}
        for stat, per in self.by_year.get(year, {}).items():
            for reg in same:
                if reg in per and stat not in known:
                    known[stat], source[stat] = per[reg], f"published for {region_name(reg)}"
        for stat, text in self._closure(year, region, known).items():
            source[stat] = text
        return {stat: (value, source[stat]) for stat, value in known.items()}

    def identities(self) -> Iterator[Finding]:
        """Per area and year: exact identities between counts (age groups, housing types,
        origins, age bands) and published shares solve a hidden count; a person set that is a
        difference of published counts (e.g. the 17-year-olds) is small."""
        sets = [(n, t) for n, t in person_sets(self.truth, self.meta) if _hold(self.truth, t, exact=False)]
        for year, per_stat in sorted(self.by_year.items()):
            regions = {reg for known in per_stat.values() for reg in known}
            for region in sorted(regions):
                v = self.regions.vector(year, region)
                if v is None:
                    continue
                known = {s: per[region] for s, per in per_stat.items() if region in per}
                how = self._closure(year, region, known)
                for stat, text in how.items():
                    f = self._found(
                        "identities",
                        year,
                        stat,
                        v,
                        known[stat],
                        f"{region_name(region)}: {text}",
                        f"{year} {stat} of {region_name(region)}",
                    )
                    if f:
                        yield f
                for name, terms in sets:
                    if all(s in known for s in terms):
                        d = sum(c * known[s] for s, c in terms.items())
                        if is_small(d):
                            truth = self.truth.functional(year, {s: c * v for s, c in terms.items()})
                            if _judge(d, truth):
                                yield Finding(
                                    "identities",
                                    f"{year} {name} of {region_name(region)}",
                                    d,
                                    truth or 0,
                                    " ".join(
                                        f"{'+' if c > 0 else '-'} {s} ({_num(known[s])})"
                                        for s, c in terms.items()
                                    ),
                                    (year, name, _vkey(v)),
                                )


def _solve_exact(eqs: list[tuple[list[Fraction], Fraction, str]], n: int) -> dict[int, Fraction]:
    """The unknowns a system of linear equations determines (exact rational elimination)."""
    rows = [(list(c), b) for c, b, _ in eqs]
    pivots: list[int] = []
    r = 0
    for col in range(n):
        pivot = next((i for i in range(r, len(rows)) if rows[i][0][col] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        pc, pb = rows[r]
        inv = 1 / pc[col]
        pc, pb = [x * inv for x in pc], pb * inv
        rows[r] = (pc, pb)
        for i in range(len(rows)):
            if i != r and rows[i][0][col] != 0:
                f = rows[i][0][col]
                rows[i] = ([x - f * y for x, y in zip(rows[i][0], pc, strict=True)], rows[i][1] - f * pb)
        pivots.append(col)
        r += 1
    out = {}
    for i, col in enumerate(pivots):
        c, b = rows[i]
        if all(x == 0 for j, x in enumerate(c) if j != col):
            out[col] = b
    return out


class Space:
    """What is known of one statistic over a year's atoms: the span of the published regions (an
    orthonormal basis, kept by Gram-Schmidt) and, for each basis vector, its value. Any region in
    the span has a determined value; anything else is not determined by these equations."""

    TOL = 1e-8

    def __init__(self, n: int) -> None:
        self.n = n
        self.q = np.zeros((0, n))
        self.qv = np.zeros(0)
        self.inconsistent = 0

    def _residual(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.q @ v
        r = v - self.q.T @ c
        c2 = self.q @ r  # re-orthogonalise once (Gram-Schmidt twice is enough)
        return r - self.q.T @ c2, c + c2

    def determined(self, v: np.ndarray) -> bool:
        r, _ = self._residual(v)
        return float(np.linalg.norm(r)) <= self.TOL * max(1.0, float(np.linalg.norm(v)))

    def value(self, v: np.ndarray) -> float:
        return float((self.q @ v) @ self.qv)

    def add(self, v: np.ndarray, value: float) -> bool:
        """Learn that v·x = value; True when it was new (the span grew)."""
        r, c = self._residual(v)
        norm = float(np.linalg.norm(r))
        if norm <= self.TOL * max(1.0, float(np.linalg.norm(v))):
            if abs(float(c @ self.qv) - value) > 1e-6 * max(1.0, abs(value)):
                self.inconsistent += 1
            return False
        self.q = np.vstack([self.q, r / norm])
        self.qv = np.append(self.qv, (value - float(c @ self.qv)) / norm)
        return True

    def complement(self) -> np.ndarray:
        """An orthonormal basis of what is not determined (the orthogonal complement)."""
        if self.q.shape[0] == 0:
            return np.eye(self.n)
        w, v = sla.eigh(self.q.T @ self.q)  # a projector: eigenvalues 0 or 1
        return v[:, w < 0.5].T


def _intersection(spaces: list[Space]) -> np.ndarray:
    """An orthonormal basis of the vectors every space determines (the null space of the sum of
    the projectors onto their complements)."""
    n = spaces[0].n
    m = np.zeros((n, n))
    for s in spaces:
        m += np.eye(n) - s.q.T @ s.q
    w, v = sla.eigh(m)
    return v[:, w < 1e-7].T


#: The work (terms visited) of the interval propagation per count and year: bounds creep by one
#: person per round on large regions, so it is cut off (linear programming, `thorough`, is exact).
PIN_BUDGET = 3_000


class LinearAttack:
    """The linear-algebra attack on the geography of one year: unknowns are every count per atom;
    equations are every published count of every region, the exact identities between counts
    (applied to every region at once: a region determined for all but one count of an identity is
    determined for that one too) and the published shares (ratio × population). Then:

    - every hidden figure whose region the equations determine is recovered (exact elimination);
    - a mixed-integer search finds any set of atoms whose count is determined and small, for every
      count and every person set that is a difference of counts (e.g. the 17-year-olds);
    - linear programming with the bounds of `<5` labels and non-negativity pins hidden figures."""

    def __init__(self, geo: GeoAttack, year: int) -> None:
        self.g, self.year = geo, year
        self.truth = geo.truth
        self.n = len(self.truth.geo[year].atoms)
        self.spaces: dict[str, Space] = defaultdict(lambda: Space(self.n))
        self.how: dict[str, set[str]] = defaultdict(set)
        for stat, known in geo.by_year.get(year, {}).items():
            if not self.truth.is_count(stat):
                continue
            for region, value in known.items():
                v = geo.regions.vector(year, region)
                if v is None:
                    continue
                self.spaces[stat].add(v, value)
                if value == 0:  # counts are never negative: every atom of a zero region is zero
                    for a in np.flatnonzero(v > 0):
                        self.spaces[stat].add(np.eye(self.n)[a], 0.0)
        self._propagate()

    def _propagate(self) -> None:
        ids = [(n, t) for n, t in count_identities(self.truth) if _hold(self.truth, t, exact=True)]
        ratios = [r for r in self.g.k.ratios if r.year == self.year]
        seen: dict[tuple[str, str], tuple[int, ...]] = {}
        for _ in range(12):
            grew = False
            for name, terms in ids:
                for t in terms:
                    others = [s for s in terms if s != t]
                    sizes = tuple(self.spaces[s].q.shape[0] for s in terms)
                    if seen.get((name, t)) == sizes:
                        continue  # nothing new since this was last worked out
                    seen[(name, t)] = sizes
                    basis = _intersection([self.spaces[s] for s in others])
                    for w in basis:
                        if self.spaces[t].determined(w):
                            continue
                        value = -sum(terms[s] * self.spaces[s].value(w) for s in others) / terms[t]
                        if self.spaces[t].add(w, value):
                            grew = True
                            self.how[t].add(name)
            for r in ratios:
                v = self.g.regions.vector(self.year, r.region)
                if v is None:
                    continue
                if self.spaces[r.den].determined(v) and self.spaces[r.num].add(
                    v, r.ratio * self.spaces[r.den].value(v)
                ):
                    grew = True
                    self.how[r.num].add(r.source)
                elif (
                    r.ratio
                    and self.spaces[r.num].determined(v)
                    and self.spaces[r.den].add(v, self.spaces[r.num].value(v) / r.ratio)
                ):
                    grew = True
                    self.how[r.den].add(r.source)
            if not grew:
                break

    def inconsistent(self) -> int:
        return sum(s.inconsistent for s in self.spaces.values())

    def published_small(self) -> Iterator[Finding]:
        """Counts of 1..SMALL published as they are (no differencing needed at all)."""
        for stat, known in self.g.by_year.get(self.year, {}).items():
            for region, value in known.items():
                v = self.g.regions.vector(self.year, region)
                truth = None if v is None else self.truth.region_value(self.year, v, stat)
                if v is not None and _judge(value, truth):
                    yield Finding(
                        "linear_algebra",
                        f"{self.year} {stat} of {region_name(region)}",
                        value,
                        truth or 0.0,
                        "published as it is",
                        (self.year, stat, _vkey(v)),
                    )

    def hidden(self) -> Iterator[Finding]:
        """Hidden figures whose region the equations determine."""
        for stat, figures in self.g.hidden.get(self.year, {}).items():
            if stat not in self.spaces:
                continue
            for f in figures:
                v = self.g.regions.vector(self.year, f.region)
                if v is None or not self.spaces[stat].determined(v):
                    continue
                value = self.spaces[stat].value(v)
                extra = f" with {', '.join(sorted(self.how[stat]))}" if self.how[stat] else ""
                found = self.g._found(
                    "linear_algebra",
                    self.year,
                    stat,
                    v,
                    value,
                    f"exact elimination over the year's published {stat} figures{extra}",
                    f"{self.year} {stat} of {region_name(f.region)} (hidden in {f.source})",
                )
                if found:
                    yield found

    def small_sets(self, limit: int = 3, seconds: float = 2.0) -> Iterator[Finding]:
        """Sets of atoms whose count (or person set) is determined and small: a mixed-integer
        search (z binary, z in the determined span, 1 <= truth·z <= SMALL), up to `limit` sets per
        count, each checked afterwards with exact arithmetic."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        targets: list[tuple[str, dict[str, int]]] = [(s, {s: 1}) for s in sorted(self.spaces)]
        targets += [
            (n, t)
            for n, t in person_sets(self.truth, self.g.meta)
            if all(s in self.spaces for s in t) and _hold(self.truth, t, exact=False)
        ]
        values = self.truth.atom_values.get(self.year, {})
        for name, terms in targets:
            if any(s not in values for s in terms):
                continue
            t = np.sum([c * values[s] for s, c in terms.items()], axis=0)
            if not (t > 0.5).any():
                continue
            basis = _intersection([self.spaces[s] for s in terms])
            if basis.shape[0] == 0:
                continue
            comp = np.vstack([self.spaces[s].complement() for s in terms] + [np.zeros((0, self.n))])
            cuts: list[np.ndarray] = []
            for _ in range(limit):
                cons = [LinearConstraint(t[None, :], 1, SMALL)]
                if comp.shape[0]:
                    cons.append(LinearConstraint(comp, -1e-9, 1e-9))
                for z0 in cuts:  # not the same set again
                    cons.append(LinearConstraint((1 - 2 * z0)[None, :], 1 - z0.sum(), np.inf))
                res = milp(
                    np.ones(self.n),
                    constraints=cons,
                    integrality=np.ones(self.n),
                    bounds=Bounds(0, 1),
                    options={"time_limit": seconds},
                )
                if res.x is None:
                    break
                z = np.rint(res.x)
                cuts.append(z)
                if not all(self.spaces[s].determined(z) for s in terms):
                    continue
                derived = sum(c * self.spaces[s].value(z) for s, c in terms.items())
                truth = self.truth.functional(self.year, {s: c * z for s, c in terms.items()})
                if len(terms) == 1:
                    f = self.g._found(
                        "linear_algebra",
                        self.year,
                        name,
                        z,
                        derived,
                        "a determined combination of the year's published figures (MILP search)",
                    )
                elif _judge(derived, truth):
                    f = Finding(
                        "linear_algebra",
                        f"{self.year} {name} over {_atoms_text(self.truth, self.year, z)}",
                        derived,
                        truth or 0.0,
                        "a determined combination of published counts (MILP search)",
                        (self.year, name, _vkey(z)),
                    )
                else:
                    f = None
                if f:
                    yield f

    def pinned(self, lp: bool = False) -> Iterator[Finding]:
        """Hidden small figures the equations leave open but bounds pin to one integer: every
        count per atom is >= 0, a labelled figure is 1..SMALL. Worked out by interval
        propagation over "a region is the sum of its atoms" (fast, with a work budget), and with
        `lp` also by linear programming (min and max) for the figures that are labelled or hold a
        labelled region."""
        for stat, figures in self.g.hidden.get(self.year, {}).items():
            space = self.spaces.get(stat)
            values = self.truth.atom_values.get(self.year, {}).get(stat)
            if space is None or values is None:
                continue
            yield from self._propagated(stat, figures, space, values)
            if lp:
                yield from self._programmed(stat, figures, space, values)

    def _pin(self, stat: str, f: Figure, v: np.ndarray, value: float, how: str) -> Finding | None:
        return self.g._found(
            "linear_algebra",
            self.year,
            stat,
            v,
            value,
            how,
            f"{self.year} {stat} of {region_name(f.region)} (hidden in {f.source})",
        )

    def _propagated(
        self, stat: str, figures: list[Figure], space: Space, values: np.ndarray
    ) -> Iterator[Finding]:
        prop = Propagator()
        regions: list[tuple[Key, np.ndarray, Figure | None]] = []
        for region, value in self.g.by_year.get(self.year, {}).get(stat, {}).items():
            v = self.g.regions.vector(self.year, region)
            if v is not None:
                prop.cell(("r", region), value)
                regions.append((("r", region), v, None))
        for f in figures:
            v = self.g.regions.vector(self.year, f.region)
            if v is not None:
                prop.cell(("r", f.region), None, f.label)
                regions.append((("r", f.region), v, f))
        for key, v, _ in regions:
            prop.relate(
                "a region is the sum of its atoms",
                {key: -1.0, **{("a", int(i)): 1.0 for i in np.flatnonzero(v)}},
            )
        prop.run(budget=PIN_BUDGET)
        for key, v, hidden in regions:
            if hidden is None or key not in prop.known or space.determined(v):
                continue
            found = self._pin(
                stat,
                hidden,
                v,
                prop.known[key],
                "pinned by bounds (counts >= 0, '<5' labels are 1..4) over the published figures of the year",
            )
            if found:
                yield found

    def _programmed(
        self, stat: str, figures: list[Figure], space: Space, values: np.ndarray
    ) -> Iterator[Finding]:
        labels = [
            v for f in figures if f.label and (v := self.g.regions.vector(self.year, f.region)) is not None
        ]
        a_ub = np.vstack([np.vstack(labels), -np.vstack(labels)]) if labels else None
        b_ub = np.concatenate([np.full(len(labels), SMALL), -np.ones(len(labels))]) if labels else None
        a_eq = space.q if space.q.shape[0] else None
        b_eq = space.qv if space.q.shape[0] else None
        for f in figures:
            v = self.g.regions.vector(self.year, f.region)
            if v is None or space.determined(v) or not is_small(float(v @ values)):
                continue
            if not any(np.all(v >= lab) for lab in labels):
                continue  # no lower bound above zero: a small count cannot be pinned
            bounds: list[float | None] = []
            for sign in (-1, 1):  # the maximum first: above SMALL it cannot pin a small count
                res = linprog(
                    sign * v, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs"
                )
                bounds.append(sign * res.fun if res.status == 0 else None)
                if bounds[0] is None or bounds[0] >= SMALL + 1:
                    break
            if len(bounds) < 2 or bounds[0] is None or bounds[1] is None:
                continue
            hi, lo = float(bounds[0]), float(bounds[1])
            low, high = int(np.ceil(lo - 1e-6)), int(np.floor(hi + 1e-6))
            if low == high:
                found = self._pin(
                    stat,
                    f,
                    v,
                    float(low),
                    f"pinned by linear programming: min {lo:.4g}, max "
                    f"{hi:.4g} over the published figures, counts >= 0 and {len(labels)} '<5' labels",
                )
                if found:
                    yield found


# =================================================================================================
# 6. The moves: year ranges, accounting identities, derived figures
# =================================================================================================

Key = tuple[Any, ...]
FlowRows = dict[tuple[str, str], tuple[float | None, bool]]
TALLY_KEYS = (
    "in_internal",
    "in_external",
    "out_internal",
    "out_external",
    "births",
    "ended",
    "residents_before",
    "residents_after",
)
#: Groups of movers that are differences of the flow measures (never published themselves).
MOVER_GROUPS = {
    "adults": {"movers": 1, "children": -1},
    "aged 18-64": {"movers": 1, "children": -1, "seniors": -1},
    "not non-western": {"movers": 1, "nonwestern": -1},
    "adults not convicted": {"movers": 1, "children": -1, "convicted": -1},
    "aged 18-64 inside the labour market": {"movers": 1, "children": -1, "seniors": -1, "outside_labour": -1},
}


@dataclass
class MoveKnowledge:
    """The moves a role has seen. `flows`: (layer, by, measure, area filter, housing filter) ->
    (year_from, year_to) -> (from, to) -> (movers or None, labelled); a pair absent from an answer
    had no movers. `cells`: single figures (tallies, profile persons) -> (value or None, labelled)."""

    flows: dict[tuple[str, str, str, str | None, str | None], dict[tuple[int, int], FlowRows]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    cells: dict[Key, tuple[float | None, bool]] = field(default_factory=dict)
    shares: dict[Key, float] = field(default_factory=dict)  # ("P", layer, y, area, group, name) -> share
    decomposition: dict[tuple[str, str, int, str], dict[str, Any]] = field(default_factory=dict)
    displacement: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def cell(self, key: Key, value: float | None, label: bool) -> None:
        old = self.cells.get(key)
        if old is None or old[0] is None:
            self.cells[key] = (value, label or bool(old and old[1]))


def move_knowledge(col: Collection, role: str) -> MoveKnowledge:
    """The flows, tallies, mover profiles, decompositions and displacement rows of a role."""
    k = MoveKnowledge()
    for (path, params), ans in col.answers.get(role, {}).items():
        if ans.status != 200:
            continue
        p = dict(params)
        parts = path.split("/")
        if path.endswith("/moves/flows"):
            key = (p["layer"], p["by"], p.get("trait", "movers"), p.get("area"), p.get("housing_type"))
            rows = {(a, b): (m, state == "small" and bool(label)) for a, b, m, state, label in ans.body}
            k.flows[key][(int(p["year_from"]), int(p["year_to"]))] = {
                pair: (v if v is None else float(v), lab) for pair, (v, lab) in rows.items()
            }
        elif path.endswith("/moves") and isinstance(ans.body, dict):
            layer, area = parts[4], parts[6]
            for t in ans.body.get("tallies", []):
                y = int(t["year"])
                for key_ in (*TALLY_KEYS, "in_total", "out_total", "net"):
                    state = t.get(f"{key_}_state", "ok")
                    value = t.get(key_)
                    k.cell(
                        ("T", layer, y, area, key_),
                        None if state != "ok" or value is None else float(value),
                        state == "small",
                    )
                if t.get("turnover") is not None and t.get("turnover_state") in SHOWN_STATES:
                    k.shares[("T", layer, y, area, "turnover")] = float(t["turnover"])
            for r in ans.body.get("profiles", []):
                y, g = int(r["year"]), r["group"]
                shown = r.get("state") in SHOWN_STATES
                k.cell(
                    ("P", layer, y, area, g, "persons"),
                    float(r["persons"]) if shown else None,
                    r.get("state") == "small",
                )
                for name in ("nonwestern", "education", "labour"):
                    if r.get(name) is not None and r.get(f"{name}_state") in SHOWN_STATES:
                        k.shares[("P", layer, y, area, g, name)] = float(r[name])
            for d in ans.body.get("decomposition", []):
                if d.get("state") in SHOWN_STATES:
                    k.decomposition[(layer, area, int(d["year"]), d["criterion"])] = d
        elif path.endswith("/displacement") and isinstance(ans.body, list):
            layer, area = parts[4], parts[6]
            k.displacement[(layer, area, p.get("criterion", "labour"))] = ans.body
    return k


class FlowTruth:
    """The true flows per year, from `move_flows`, grouped the ways the API groups them."""

    def __init__(self, truth: Truth, kinds: dict[tuple[str, str], str]) -> None:
        self.kinds = kinds
        self.by_layer: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in truth.flows:
            self.by_layer[r["layer"]].append(r)
        self._cache: dict[tuple[Any, ...], dict[tuple[str, str], dict[int, float]]] = {}

    def table(
        self, layer: str, by: str, measure: str, area: str | None, housing: str | None
    ) -> dict[tuple[str, str], dict[int, float]]:
        """(from, to) -> year -> movers with the measure, as /moves/flows would sum them."""
        key = (layer, by, measure, area, housing)
        if key not in self._cache:
            out: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
            for r in self.by_layer.get(layer, []):
                if area is not None and area not in (r["from_area"], r["to_area"]):
                    continue
                if housing is not None and housing not in (r["from_housing"], r["to_housing"]):
                    continue
                if by == "area":
                    pair = (r["from_area"], r["to_area"])
                elif by == "housing_type":
                    pair = (r["from_housing"], r["to_housing"])
                else:
                    pair = (self.kind(layer, r["from_area"]), self.kind(layer, r["to_area"]))
                out[pair][int(r["year"])] += float(r[measure] or 0)
            self._cache[key] = out
        return self._cache[key]

    def kind(self, layer: str, area: str) -> str:
        return self.kinds.get((layer, area), "") if area else ""


class Propagator:
    """Relations between counts (each Σ coefficient × cell = 0) worked through until nothing more
    follows: a relation with one unknown cell determines it; bounds (a `<5` label: 1..SMALL,
    otherwise >= 0) pin a cell to one integer; a relation whose unknown cells are all on one side
    gives away their sum."""

    def __init__(self) -> None:
        self.known: dict[Key, float] = {}
        self.lo: dict[Key, float] = {}
        self.hi: dict[Key, float] = {}
        self.relations: list[tuple[str, list[tuple[Key, float]]]] = []
        self.members: dict[Key, list[int]] = defaultdict(list)
        self.via: dict[Key, int] = {}
        self.sums: dict[frozenset[Key], tuple[float, int]] = {}

    def cell(self, key: Key, value: float | None, label: bool = False) -> None:
        if value is not None:
            self.known[key] = value
        elif key not in self.known:
            self.lo[key] = max(self.lo.get(key, 0.0), 1.0 if label else 0.0)
            self.hi[key] = min(self.hi.get(key, np.inf), float(SMALL) if label else np.inf)

    def relate(self, name: str, terms: dict[Key, float]) -> None:
        kept = [(k, c) for k, c in terms.items() if c]
        if len(kept) > 1:
            n = len(self.relations)
            self.relations.append((name, kept))
            for key, _ in kept:
                self.members[key].append(n)
                if key not in self.known and key not in self.lo:
                    self.lo[key], self.hi[key] = 0.0, np.inf

    def run(self, budget: int = 2_000_000) -> None:
        queue = list(range(len(self.relations)))
        queued = set(queue)
        work = 0
        while queue and work < budget:
            n = queue.pop()
            queued.discard(n)
            _, terms = self.relations[n]
            work += len(terms)
            unknown = [(k, c) for k, c in terms if k not in self.known]
            if not unknown:
                continue
            rest = -sum(c * self.known[k] for k, c in terms if k in self.known)
            changed: list[Key] = []
            if len(unknown) == 1:
                k, c = unknown[0]
                self._learn(k, rest / c, n, changed)
            else:
                one_side = all(c > 0 for _, c in unknown) or all(c < 0 for _, c in unknown)
                if one_side and all(abs(abs(c) - 1) < 1e-12 for _, c in unknown):
                    group = frozenset(k for k, _ in unknown)
                    self.sums.setdefault(group, (rest / unknown[0][1], n))
                self._bounds(n, unknown, rest, changed)
            for k in changed:
                for m in self.members[k]:
                    if m not in queued:
                        queued.add(m)
                        queue.append(m)

    def _learn(self, k: Key, value: float, n: int, changed: list[Key]) -> None:
        if abs(value - round(value)) < 1e-6:
            value = float(round(value))
        self.known[k] = value
        self.via[k] = n
        changed.append(k)

    def _bounds(self, n: int, unknown: list[tuple[Key, float]], rest: float, changed: list[Key]) -> None:
        """Each unknown lies between what the others' bounds leave for it (integers)."""
        lows = [min(c * self.lo[k], c * self.hi[k]) for k, c in unknown]
        highs = [max(c * self.lo[k], c * self.hi[k]) for k, c in unknown]
        lo_inf, hi_inf = sum(x == -np.inf for x in lows), sum(x == np.inf for x in highs)
        lo_fin = sum(x for x in lows if np.isfinite(x))
        hi_fin = sum(x for x in highs if np.isfinite(x))
        for (k, c), lo_k, hi_k in zip(unknown, lows, highs, strict=True):
            other_lo = (
                -np.inf if lo_inf - (lo_k == -np.inf) > 0 else lo_fin - (lo_k if np.isfinite(lo_k) else 0)
            )
            other_hi = (
                np.inf if hi_inf - (hi_k == np.inf) > 0 else hi_fin - (hi_k if np.isfinite(hi_k) else 0)
            )
            a, b = (rest - other_hi) / c, (rest - other_lo) / c
            low, high = min(a, b), max(a, b)
            new_lo = max(self.lo[k], float(np.ceil(low - 1e-6)) if np.isfinite(low) else self.lo[k])
            new_hi = min(self.hi[k], float(np.floor(high + 1e-6)) if np.isfinite(high) else self.hi[k])
            if new_lo > self.lo[k] or new_hi < self.hi[k]:
                self.lo[k], self.hi[k] = new_lo, new_hi
                if new_lo == new_hi:
                    self._learn(k, float(new_lo), n, changed)
                else:
                    changed.append(k)


class MoveTruth:
    """The true value of every moves figure the attack reasons about."""

    def __init__(self, truth: Truth, flows: FlowTruth) -> None:
        self.truth, self.flows = truth, flows

    def value(self, key: Key) -> float | None:
        kind = key[0]
        t = self.truth
        if kind == "F":
            _, layer, y, m, a, b = key
            return self.flows.table(layer, "area", m, None, None).get((a, b), {}).get(y, 0.0)
        if kind == "H":
            _, layer, y, m, a, b = key
            return self.flows.table(layer, "housing_type", m, None, None).get((a, b), {}).get(y, 0.0)
        if kind == "K":
            _, layer, y, m, a, b = key
            return self.flows.table(layer, "kind", m, None, None).get((a, b), {}).get(y, 0.0)
        if kind == "KA":
            _, layer, y, m, x, a, b = key
            return self.flows.table(layer, "kind", m, x, None).get((a, b), {}).get(y, 0.0)
        if kind == "T":
            _, layer, y, area, name = key
            row = t.tallies.get((layer, y, area))
            if row is None:
                return None
            if name == "in_total":
                return float(row["in_internal"] + row["in_external"])
            if name == "out_total":
                return float(row["out_internal"] + row["out_external"])
            if name == "net":
                return float(
                    row["in_internal"] + row["in_external"] - row["out_internal"] - row["out_external"]
                )
            return float(row[name] or 0)
        if kind == "P":
            _, layer, y, area, group, name = key
            row = t.profiles.get((layer, y, area, group))
            return None if row is None or row.get(name) is None else float(row[name])
        if kind == "RES":
            _, layer, area, y = key
            v = t.values.get((layer, area, y, "residents"))
            return None if v is None else v[0]
        if kind == "D":
            _, layer, y, a, b = key
            row = t.displaced.get((layer, y, a, b))
            return None if row is None else float(row["movers"])
        return None


def key_name(key: Key) -> str:
    """A readable name of a moves figure."""
    kind = key[0]
    if kind == "F":
        return f"flow {key[1]} {key[2]} {key[3]} {key[4] or 'outside'} -> {key[5] or 'outside'}"
    if kind == "H":
        return f"flow by housing {key[1]} {key[2]} {key[3]} {key[4] or 'none'} -> {key[5] or 'none'}"
    if kind == "K":
        return f"flow by kind {key[1]} {key[2]} {key[3]} {key[4] or 'outside'} -> {key[5] or 'outside'}"
    if kind == "KA":
        return (
            f"flow by kind to/from {key[4]} {key[1]} {key[2]} {key[3]} "
            f"{key[5] or 'outside'} -> {key[6] or 'outside'}"
        )
    if kind == "T":
        return f"tally {key[4]} of {key[1]}/{key[3]} {key[2]}"
    if kind == "P":
        return f"profile {key[4]} {key[5]} of {key[1]}/{key[3]} {key[2]}"
    if kind == "RES":
        return f"residents of {key[1]}/{key[2]} {key[3]}"
    if kind == "D":
        return f"displacement movers {key[1]} {key[2]} {key[3]} -> {key[4]}"
    return str(key)


class MoveAttack:
    """The moves families for one role's knowledge."""

    def __init__(self, truth: Truth, col: Collection, k: MoveKnowledge, geo: GeoKnowledge) -> None:
        self.truth, self.col, self.k, self.geo = truth, col, k, geo
        self.kinds = {(layer, a["area_id"]): a["kind"] for layer, rows in col.areas.items() for a in rows}
        self.flow_truth = FlowTruth(truth, self.kinds)
        self.mtruth = MoveTruth(truth, self.flow_truth)
        self.dropped: Counter[str] = Counter()
        self.checked: Counter[str] = Counter()

    # --- year ranges -------------------------------------------------------------------------

    def year_ranges(self) -> Iterator[Finding]:
        """Per flow (same grouping, measure and filter): every published range and single year is
        an equation over the years' unknown movers (a pair absent from an answer, or published as
        0: zero in each of its years); elimination finds every hidden year or range they
        determine, which is also every sum of hidden years that a published range minus its
        published years leaves."""
        cache: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray, list[int]]] = {}
        for (layer, by, measure, area, housing), answers in sorted(
            self.k.flows.items(), key=lambda kv: str(kv[0])
        ):
            ranges = sorted(answers)
            years = sorted({y for lo, hi in ranges for y in range(lo, hi + 1)})
            if len(years) < 2 or len(ranges) < 2:
                continue
            rows = np.array([[float(lo <= y <= hi) for y in years] for lo, hi in ranges])
            pairs = sorted({pair for r in answers.values() for pair in r})
            where = {pair: n for n, pair in enumerate(pairs)}
            values = np.zeros((len(pairs), len(ranges)))  # a pair absent from an answer: 0
            hidden_at = np.zeros((len(pairs), len(ranges)), dtype=bool)
            for j, r in enumerate(ranges):
                for pair, (v, _) in answers[r].items():
                    if v is None:
                        hidden_at[where[pair], j] = True
                    else:
                        values[where[pair], j] = v
            for p in np.flatnonzero(hidden_at.any(axis=1) & ~hidden_at.all(axis=1)):
                pair, vals = pairs[p], values[p]
                hidden = list(np.flatnonzero(hidden_at[p]))
                pub_mask = ~hidden_at[p]
                zero_years = rows[pub_mask & (vals == 0)].any(axis=0)
                key = (tuple(ranges), pub_mask.tobytes(), zero_years.tobytes())
                if key not in cache:
                    a = np.vstack([rows[pub_mask], np.eye(len(years))[zero_years]])
                    lam = rows @ sla.pinv(a)
                    ok = np.abs(lam @ a - rows).max(axis=1) < 1e-9
                    cache[key] = (lam, ok, list(np.flatnonzero(pub_mask)))
                lam, ok, pub = cache[key]
                b = np.concatenate([vals[pub_mask], np.zeros(int(zero_years.sum()))])
                for i in hidden:
                    if not ok[i]:
                        continue
                    value = float(lam[i] @ b)
                    if not is_small(value):
                        continue
                    lo, hi = ranges[i]
                    table = self.flow_truth.table(layer, by, measure, area, housing).get(pair, {})
                    truth = sum(table.get(y, 0.0) for y in range(lo, hi + 1))
                    if _judge(value, truth):
                        used = [
                            f"{ranges[j][0]}-{ranges[j][1]}={_num(vals[j])}"
                            for n, j in enumerate(pub)
                            if abs(lam[i][n]) > 1e-9
                        ]
                        filt = f" area={area}" if area else (f" housing_type={housing}" if housing else "")
                        yield Finding(
                            "year_ranges",
                            f"flows by={by} layer={layer} trait={measure}{filt} {pair[0] or 'outside'} -> "
                            f"{pair[1] or 'outside'} {lo}-{hi}",
                            value,
                            truth,
                            "from the published ranges " + ", ".join(used[:8]),
                            ("range", layer, by, measure, area, housing, pair, lo, hi),
                        )

    # --- accounting identities ---------------------------------------------------------------

    def _single(
        self, layer: str, by: str, measure: str, y: int, area: str | None = None, housing: str | None = None
    ) -> FlowRows | None:
        return self.k.flows.get((layer, by, measure, area, housing), {}).get((y, y))

    def system(self, y: int, measures: tuple[str, ...] = ("movers", *TRAITS)) -> Propagator:
        """All moves figures of one move year and how they add up (each relation checked on the
        truth: an instance that does not hold is left out and counted)."""
        prop = Propagator()
        layers = sorted(self.col.areas)
        kinds = self.kinds
        for layer in layers:
            for m in measures:
                fk, per_area = self._flow_cells(prop, layer, m, y)
                housing = self._single(layer, "housing_type", m, y)
                if fk is not None and housing is not None:
                    for h in HOUSING_TYPES:
                        for pair, (v, lab) in (
                            self._single(layer, "housing_type", m, y, housing=h) or {}
                        ).items():
                            prop.cell(("H", layer, y, m, *pair), v, lab)
                    for pair, (v, lab) in housing.items():
                        prop.cell(("H", layer, y, m, *pair), v, lab)
                    self._relate(
                        prop,
                        "flows by area add up to flows by housing type",
                        {
                            **dict.fromkeys(fk.values(), 1.0),
                            **{("H", layer, y, m, *p): -1.0 for p in housing},
                        },
                    )
                by_kind = self._single(layer, "kind", m, y)

                def kind_of(a: str, layer: str = layer) -> str:
                    return kinds.get((layer, a), "") if a else ""

                if fk is not None and by_kind is not None:
                    for pair, (v, lab) in by_kind.items():
                        prop.cell(("K", layer, y, m, *pair), v, lab)
                    groups: dict[tuple[str, str], dict[Key, float]] = defaultdict(dict)
                    for pair, key in fk.items():
                        groups[(kind_of(pair[0]), kind_of(pair[1]))][key] = 1.0
                    for kp, members in groups.items():
                        self._relate(
                            prop,
                            "a flow between kinds of area is the sum of its areas' flows",
                            {**members, ("K", layer, y, m, *kp): -1.0},
                        )
                for x, fx in per_area.items():
                    rows = self._single(layer, "kind", m, y, area=x)
                    if rows is None:
                        continue
                    groups = defaultdict(dict)
                    for pair, key in fx.items():
                        if x in pair:
                            groups[(kind_of(pair[0]), kind_of(pair[1]))][key] = 1.0
                    for pair, (v, lab) in rows.items():
                        prop.cell(("KA", layer, y, m, x, *pair), v, lab)
                    for kp, members in groups.items():
                        self._relate(
                            prop,
                            "an area's flow between kinds is the sum of its flows",
                            {**members, ("KA", layer, y, m, x, *kp): -1.0},
                        )
                if m == "movers":
                    self._tallies(prop, layer, y, per_area)
                self._profile_traits(prop, layer, y, m, per_area)
            self._displacement(prop, layer, y)
        self._nesting(prop, y, measures)
        return prop

    def _relate(self, prop: Propagator, name: str, terms: dict[Key, float]) -> None:
        """Add a relation if it holds on the truth (else count it as left out)."""
        total = 0.0
        for key, c in terms.items():
            v = self.mtruth.value(key)
            if v is None:
                self.dropped[name] += 1
                return
            total += c * v
        self.checked[name] += 1
        if abs(total) > 1e-6 * max(1.0, sum(abs(c) for c in terms.values())):
            self.dropped[name] += 1
            return
        prop.relate(name, terms)

    def _flow_cells(
        self, prop: Propagator, layer: str, m: str, y: int
    ) -> tuple[dict[tuple[str, str], Key] | None, dict[str, dict[tuple[str, str], Key]]]:
        """A year's flows between areas as cells: every pair of the unfiltered answer (None when it
        was not collected) and, per area, every pair to or from it (complete: from the answer
        filtered to the area, else from the unfiltered one)."""
        rows = self._single(layer, "area", m, y)
        fk = {pair: ("F", layer, y, m, *pair) for pair in rows} if rows is not None else None
        for pair, (v, lab) in (rows or {}).items():
            prop.cell(("F", layer, y, m, *pair), v, lab)
        per_area: dict[str, dict[tuple[str, str], Key]] = {}
        for x in (a["area_id"] for a in self.col.areas[layer]):
            mine = self._single(layer, "area", m, y, area=x)
            if mine is not None:
                for pair, (v, lab) in mine.items():
                    prop.cell(("F", layer, y, m, *pair), v, lab)
                per_area[x] = {pair: ("F", layer, y, m, *pair) for pair in mine}
            elif fk is not None:
                per_area[x] = {pair: key for pair, key in fk.items() if x in pair}
        return fk, per_area

    def _tallies(
        self, prop: Propagator, layer: str, y: int, per_area: dict[str, dict[tuple[str, str], Key]]
    ) -> None:
        for a in self.col.areas[layer]:
            x = a["area_id"]
            fk = per_area.get(x)
            if fk is None:
                continue
            t = {name: ("T", layer, y, x, name) for name in (*TALLY_KEYS, "in_total", "out_total", "net")}
            for key in t.values():
                v, lab = self.k.cells.get(key, (None, False))
                prop.cell(key, v, lab)
            into = {k: 1.0 for p, k in fk.items() if p[1] == x and p[0] not in ("", x)}
            out = {k: 1.0 for p, k in fk.items() if p[0] == x and p[1] not in ("", x)}
            self._relate(
                prop, "in-movers from elsewhere are the flows into the area", {**into, t["in_internal"]: -1.0}
            )
            self._relate(
                prop,
                "out-movers to elsewhere are the flows out of the area",
                {**out, t["out_internal"]: -1.0},
            )
            if ("", x) in fk:
                self._relate(
                    prop,
                    "in-movers from outside are the flow from outside",
                    {fk[("", x)]: 1.0, t["in_external"]: -1.0},
                )
            if (x, "") in fk:
                self._relate(
                    prop,
                    "out-movers to outside are the flow to outside",
                    {fk[(x, "")]: 1.0, t["out_external"]: -1.0},
                )
            self._relate(
                prop,
                "in_total = in-movers",
                {t["in_total"]: 1.0, t["in_internal"]: -1.0, t["in_external"]: -1.0},
            )
            self._relate(
                prop,
                "out_total = out-movers",
                {t["out_total"]: 1.0, t["out_internal"]: -1.0, t["out_external"]: -1.0},
            )
            self._relate(
                prop, "net = in_total - out_total", {t["net"]: 1.0, t["in_total"]: -1.0, t["out_total"]: 1.0}
            )
            rate = self.k.shares.get(("T", layer, y, x, "turnover"))
            if rate is not None:
                self._relate(
                    prop,
                    "turnover x residents = movers in and out",
                    {
                        t["in_total"]: 1.0,
                        t["out_total"]: 1.0,
                        t["residents_before"]: -rate,
                        t["residents_after"]: -rate,
                    },
                )
            g: dict[str, Key] = {grp: ("P", layer, y, x, grp, "persons") for grp in ("in", "out", "stay")}
            for pkey in g.values():
                v, lab = self.k.cells.get(pkey, (None, False))
                prop.cell(pkey, v, lab)
            self._relate(
                prop,
                "in-movers' profile = the in-movers",
                {g["in"]: 1.0, t["in_internal"]: -1.0, t["in_external"]: -1.0},
            )
            self._relate(
                prop,
                "out-movers' profile = the out-movers",
                {g["out"]: 1.0, t["out_internal"]: -1.0, t["out_external"]: -1.0},
            )
            self._relate(
                prop,
                "residents after = stayers + in-movers + births",
                {t["residents_after"]: 1.0, g["stay"]: -1.0, g["in"]: -1.0, t["births"]: -1.0},
            )
            self._relate(
                prop,
                "residents before = stayers + out-movers + endings",
                {t["residents_before"]: 1.0, g["stay"]: -1.0, g["out"]: -1.0, t["ended"]: -1.0},
            )
            r_stat = self.truth.stat("ind:residents:num")
            for name, year in (("residents_after", y), ("residents_before", y - 1)):
                f = self.geo.figures.get((year, ("area", layer, x), r_stat))
                res = ("RES", layer, x, year)
                prop.cell(res, f.value if f else None, bool(f and f.label))
                self._relate(
                    prop, "the tallies' residents are the area's residents", {t[name]: 1.0, res: -1.0}
                )

    def _area_pairs(self, layer: str, m: str, y: int, x: str) -> list[tuple[str, str]] | None:
        """Every pair of a year's flows to or from an area (None where no answer lists them all)."""
        mine = self._single(layer, "area", m, y, area=x)
        if mine is not None:
            return list(mine)
        rows = self._single(layer, "area", m, y)
        return None if rows is None else [p for p in rows if x in p]

    def _profile_traits(
        self, prop: Propagator, layer: str, y: int, m: str, per_area: dict[str, dict[tuple[str, str], Key]]
    ) -> None:
        """In- and out-movers' profiles against the trait flows, and their published shares."""
        for a in self.col.areas[layer]:
            x = a["area_id"]
            fk = per_area.get(x)
            if fk is None:
                continue
            into = {k: 1.0 for p, k in fk.items() if p[1] == x and p[0] != x}
            out = {k: 1.0 for p, k in fk.items() if p[0] == x and p[1] != x}
            if m == "nonwestern":
                for grp, flows in (("in", into), ("out", out)):
                    cnt = ("P", layer, y, x, grp, "nonwestern")
                    self._relate(
                        prop, f"{grp}-movers' non-western = the non-western flows", {**flows, cnt: -1.0}
                    )
            if m == "low_education":
                for grp, flows in (("in", into), ("out", out)):
                    self._relate(
                        prop,
                        f"{grp}-movers' low education = the low-education flows",
                        {**flows, ("P", layer, y, x, grp, "education_count"): -1.0},
                    )
            seniors = self._area_pairs(layer, "seniors", y, x) if m == "children" else None
            if seniors is not None:
                for grp, flows in (("in", into), ("out", out)):
                    side = 1 if grp == "in" else 0
                    old = {
                        ("F", layer, y, "seniors", *p): 1.0
                        for p in seniors
                        if p[side] == x and p[1 - side] != x
                    }
                    self._relate(
                        prop,
                        f"{grp}-movers aged 18-64 = movers - children - seniors",
                        {
                            ("P", layer, y, x, grp, "labour_n"): 1.0,
                            ("P", layer, y, x, grp, "persons"): -1.0,
                            **flows,
                            **old,
                        },
                    )
            if m == "movers":
                for grp in ("in", "out", "stay"):
                    persons = ("P", layer, y, x, grp, "persons")
                    share = self.k.shares.get(("P", layer, y, x, grp, "nonwestern"))
                    if share is not None:
                        self._relate(
                            prop,
                            "a profile's non-western share x its persons",
                            {("P", layer, y, x, grp, "nonwestern"): 1.0, persons: -share},
                        )
                    share = self.k.shares.get(("P", layer, y, x, grp, "education"))
                    if share is not None:
                        self._relate(
                            prop,
                            "a profile's education share x its 30-59-year-olds",
                            {
                                ("P", layer, y, x, grp, "education_count"): 1.0,
                                ("P", layer, y, x, grp, "education_n"): -share,
                            },
                        )

    def _displacement(self, prop: Propagator, layer: str, y: int) -> None:
        for (lay, a, _c), rows in self.k.displacement.items():
            if lay != layer:
                continue
            for r in rows:
                if int(r["year"]) != y:
                    continue
                key = ("D", layer, y, a, r["to_area"])
                shown = r.get("movers_state") in SHOWN_STATES
                prop.cell(key, float(r["movers"]) if shown else None, r.get("movers_state") == "small")
                self._relate(
                    prop,
                    "displacement movers are the flow",
                    {key: 1.0, ("F", layer, y, "movers", a, r["to_area"]): -1.0},
                )

    def _nesting(self, prop: Propagator, y: int, measures: tuple[str, ...]) -> None:
        """Flows of a coarse layer are the flows of a fine layer that covers the municipality
        (every fine area inside one coarse area in both years)."""
        for fine, coarse, inside in _nestings(self.truth, self.col, y):
            for m in measures:
                rows = self._single(fine, "area", m, y)
                big = self._single(coarse, "area", m, y)
                if rows is None or big is None:
                    continue
                groups: dict[tuple[str, str], dict[Key, float]] = defaultdict(dict)
                for a, b in rows:
                    ca = inside.get(a, "") if a else ""
                    cb = inside.get(b, "") if b else ""
                    groups[(ca, cb)][("F", fine, y, m, a, b)] = 1.0
                for pair, members in groups.items():
                    if pair in big:
                        self._relate(
                            prop,
                            f"{coarse} flows are the sums of {fine} flows",
                            {**members, ("F", coarse, y, m, *pair): -1.0},
                        )

    def accounting(self) -> Iterator[Finding]:
        """Every move year's figures worked through the relations: hidden counts determined or
        pinned, small sums of hidden counts, and small groups of movers (e.g. adults = movers −
        children) from published counts."""
        for y in self.col.move_years:
            prop = self.system(y)
            hidden = {k for k in prop.lo if k not in prop.known}
            prop.run()
            for key in sorted(hidden, key=str):
                if key[0] == "T" and key[4] == "net":
                    continue  # net migration is a difference, not a count of persons
                if key in prop.known:
                    v = prop.known[key]
                    truth = self.mtruth.value(key)
                    if truth is not None and _judge(v, truth):
                        yield Finding(
                            "accounting",
                            f"{key_name(key)} (hidden)",
                            v,
                            truth,
                            self._derivation(prop, key),
                            ("cell", key),
                        )
            for group, (v, n) in prop.sums.items():
                if any(k[0] == "T" and k[4] == "net" for k in group):
                    continue
                if is_small(v) and all(k not in prop.known for k in group):
                    parts = [self.mtruth.value(k) for k in group]
                    truth_parts = [t for t in parts if t is not None]
                    if len(truth_parts) == len(parts) and _judge(v, sum(truth_parts)):
                        name, _ = prop.relations[n]
                        yield Finding(
                            "accounting",
                            "sum of hidden " + " + ".join(key_name(k) for k in sorted(group, key=str)),
                            v,
                            float(sum(truth_parts)),
                            f"{name}: the other figures are published",
                            ("sum", tuple(sorted(map(str, group)))),
                        )
            yield from self._groups(prop, y)

    def _groups(self, prop: Propagator, y: int) -> Iterator[Finding]:
        bases = {
            (k[0], *k[1:3], *k[4:]) for k in prop.known if k[0] in ("F", "H", "K", "KA") and k[3] == "movers"
        }
        for base in sorted(bases, key=str):
            kind, layer, year, *rest = base
            for name, terms in MOVER_GROUPS.items():
                keys = {(kind, layer, year, m, *rest): c for m, c in terms.items()}
                if not all(k in prop.known for k in keys):
                    continue
                v = sum(c * prop.known[k] for k, c in keys.items())
                if not is_small(v):
                    continue
                tv = [self.mtruth.value(k) for k in keys]
                known_tv = [t for t in tv if t is not None]
                if len(known_tv) < len(tv):
                    continue
                truth = sum(c * t for c, t in zip(keys.values(), known_tv, strict=True))
                if _judge(v, truth):
                    parts = ", ".join(f"{k[3]} {_num(prop.known[k])}" for k in keys)
                    yield Finding(
                        "accounting",
                        f"{name} among {key_name((kind, layer, year, 'movers', *rest))}",
                        v,
                        truth,
                        f"a difference of published flows: {parts}",
                        ("group", name, base),
                    )

    def _derivation(self, prop: Propagator, key: Key, depth: int = 0) -> str:
        n = prop.via.get(key)
        if n is None:
            return "published"
        name, terms = prop.relations[n]
        parts = [f"{key_name(k)}={_num(prop.known.get(k))}" for k, _ in terms if k != key][:6]
        text = f"{name}: {'; '.join(parts)}"
        if depth < 1:
            inner = [self._derivation(prop, k, depth + 1) for k, _ in terms if k != key and k in prop.via][:2]
            text += "".join(f" [{i}]" for i in inner)
        return text

    # --- derived figures: displacement and decomposition -------------------------------------

    def _geo_value(self, year: int, region: Region, stat: str) -> float | None:
        """A published figure about an area (a count, or a sum such as FTE)."""
        f = self.geo.figures.get((year, region, stat))
        return f.value if f is not None else None

    def derived(self) -> Iterator[Finding]:
        """Displacement's impact beside the share and the receiving area's published block solves
        the movers in the criterion's population and their count; the decomposition's terms with
        the published population and group sizes solve the groups' counts."""
        yield from self._impact()
        yield from self._decomposition()

    #: Each displacement criterion's receiving block as indicator figures (numerator, population).
    BLOCKS: ClassVar[dict[str, tuple[str, str]]] = {
        "labour": ("outside_labour_18_64", "sum"),
        "crime": ("convicted_18plus", "crime"),
        "education": ("low_education_30_59", "education"),
        "nonwestern": ("nonwestern_share", "nonwestern"),
    }

    def _impact(self) -> Iterator[Finding]:
        s = self.truth.stat
        for (layer, a, criterion), rows in sorted(self.k.displacement.items()):
            ind, _ = self.BLOCKS[criterion]
            for r in rows:
                if r.get("impact_pp") is None:
                    continue
                y, b = int(r["year"]), r["to_area"]
                big_b = self._geo_value(y, ("area", layer, b), s(f"ind:{ind}:num"))
                big_d = self._geo_value(y, ("area", layer, b), s(f"ind:{ind}:den"))
                if big_b is None or not big_d:
                    continue
                q = big_b / big_d - float(r["impact_pp"]) / 100  # the receiving share without the movers
                share = r.get("trait_share") if r.get("trait_state") in SHOWN_STATES else None
                movers = float(r["movers"]) if r.get("movers_state") in SHOWN_STATES else None
                if share is not None and abs(q - share) > 1e-12:
                    n = (q * big_d - big_b) / (q - share)
                    x = share * n
                elif share is None and criterion == "nonwestern" and movers is not None:
                    n = movers
                    x = big_b - q * (big_d - n)
                else:
                    continue
                row = self.truth.displaced.get((layer, y, a, b))
                if row is None:
                    continue
                tn, tx, tm = (
                    float(row[f"{criterion}_n"]),
                    float(row[f"{criterion}_sum"]),
                    float(row["movers"]),
                )
                how = (
                    f"impact {float(r['impact_pp']):.6g} pp, trait share {share}, receiving block "
                    f"{_num(big_b)}/{_num(big_d)} of {b} (values {y})"
                )
                cands = [("movers in the criterion's population", n, tn)]
                if criterion != "labour":
                    cands += [
                        ("movers with the trait", x, tx),
                        ("movers in the population without it", n - x, tn - tx),
                    ]
                if movers is not None:
                    cands.append(("movers outside the criterion's population", movers - n, tm - tn))
                for name, v, t in cands:
                    if _judge(v, t):
                        yield Finding(
                            "derived",
                            f"displacement {criterion} {layer} {y} {a} -> {b}: {name}",
                            v,
                            t,
                            how,
                            ("impact", layer, y, a, b, criterion, name),
                        )

    def _decomposition(self) -> Iterator[Finding]:
        s, crit = self.truth.stat, self.truth.crit_prefix
        pops = {
            "nonwestern": s(crit + "residents"),
            "education": s(crit + "education_n"),
            "crime": s(crit + "crime_n"),
        }
        for (layer, x, y, c), d in sorted(self.k.decomposition.items()):
            if c not in ("nonwestern", "education"):
                continue
            region: Region = ("area", layer, x)
            n1, n0 = self._geo_value(y, region, pops[c]), self._geo_value(y - 1, region, pops[c])
            terms = [
                d.get(k) for k in ("before", "after", "in_movers", "out_movers", "ageing_in", "ageing_out")
            ]
            if n1 is None or n0 is None or any(t is None for t in terms):
                continue
            before, after, t_in, t_out, t_ain, t_aout = (float(t) for t in terms)  # type: ignore[arg-type]
            s1 = after - t_in - t_ain  # the stayers' value after
            s0 = before + t_out + t_aout  # ... and before
            name = "nonwestern" if c == "nonwestern" else "education"

            def cell(key: Key) -> float | None:
                return self.k.cells.get(key, (None, False))[0]

            def share(g: str, layer: str = layer, y: int = y, x: str = x, name: str = name) -> float | None:
                return self.k.shares.get(("P", layer, y, x, g, name))

            groups = {  # group: (term x population, the stayers' value, its size if published, its share)
                "in-movers": (
                    t_in * n1,
                    s1,
                    cell(("P", layer, y, x, "in", "persons")) if c == "nonwestern" else None,
                    share("in"),
                ),
                "out-movers": (
                    -t_out * n0,
                    s0,
                    cell(("P", layer, y, x, "out", "persons")) if c == "nonwestern" else None,
                    share("out"),
                ),
            }
            if c == "nonwestern":
                groups["births"] = (t_ain * n1, s1, cell(("T", layer, y, x, "births")), None)
                groups["endings"] = (-t_aout * n0, s0, cell(("T", layer, y, x, "ended")), None)
            for g, (rhs, stay, size, m) in groups.items():
                truth_n, truth_x = self._decomposed_truth(layer, x, y, c, g)
                if size is not None:
                    xv = rhs + stay * size  # x_g - stay * n_g = term * n
                    if truth_x is not None and _judge(xv, truth_x):
                        yield Finding(
                            "derived",
                            f"decomposition {c} {layer}/{x} {y}: {g} with the trait",
                            xv,
                            truth_x,
                            f"term {rhs:.6g}/population + stayers' value {stay:.6g} x {_num(size)}",
                            ("decomposition", layer, x, y, c, g, "x"),
                        )
                elif m is not None and abs(m - stay) > 1e-12:
                    nv = rhs / (m - stay)  # x_g = m n_g
                    if truth_n is not None and _judge(nv, truth_n):
                        yield Finding(
                            "derived",
                            f"decomposition {c} {layer}/{x} {y}: {g} (count)",
                            nv,
                            truth_n,
                            f"term x population {rhs:.6g} / (group share {m:.6g} - stayers' {stay:.6g})",
                            ("decomposition", layer, x, y, c, g, "n"),
                        )
                    if truth_x is not None and _judge(m * nv, truth_x):
                        yield Finding(
                            "derived",
                            f"decomposition {c} {layer}/{x} {y}: {g} with the trait",
                            m * nv,
                            truth_x,
                            "the group's share x its count solved from the term",
                            ("decomposition", layer, x, y, c, g, "x"),
                        )

    def _decomposed_truth(
        self, layer: str, x: str, y: int, c: str, g: str
    ) -> tuple[float | None, float | None]:
        """The true size of a decomposition group and its count with the trait."""
        t = self.truth
        dec = t.decomposition.get((layer, x, y, c))
        size_col = {"in-movers": "n_in", "out-movers": "n_out", "births": "n_age_in", "endings": "n_age_out"}[
            g
        ]
        n = float(dec[size_col]) if dec else None
        col = "nonwestern" if c == "nonwestern" else "education_count"
        prof = {grp: t.profiles.get((layer, y, x, grp)) for grp in ("in", "out", "stay")}
        if g == "in-movers":
            return n, float(prof["in"][col]) if prof["in"] else None
        if g == "out-movers":
            return n, float(prof["out"][col]) if prof["out"] else None
        now, then = t.blocks.get((layer, x, y)), t.blocks.get((layer, x, y - 1))
        if c != "nonwestern" or not prof["stay"]:
            return n, None
        if g == "births" and now and prof["in"]:
            return n, float(now["nonwestern"] - prof["stay"]["nonwestern"] - prof["in"]["nonwestern"])
        if g == "endings" and then and prof["out"]:
            return n, float(then["nonwestern"] - prof["stay"]["nonwestern"] - prof["out"]["nonwestern"])
        return n, None


def _nestings(truth: Truth, col: Collection, y: int) -> list[tuple[str, str, dict[str, str]]]:
    """(fine layer, coarse layer, fine area -> coarse area) where the fine layer covers the
    municipality and each of its areas lies inside one coarse area at both year-ends."""
    out = []
    layers = sorted(col.areas)
    for fine in layers:
        for coarse in layers:
            if fine == coarse:
                continue
            inside: dict[str, str] | None = {}
            for year in (y - 1, y):
                geo = truth.geo.get(year)
                if geo is None:
                    inside = None
                    break
                fine_areas = {a: v for (lay, a), v in geo.areas.items() if lay == fine}
                coarse_areas = {a: v for (lay, a), v in geo.areas.items() if lay == coarse}
                if not fine_areas or np.sum(list(fine_areas.values()), axis=0).min() < 1:
                    inside = None
                    break
                for a, v in fine_areas.items():
                    holder = [c for c, cv in coarse_areas.items() if np.all(cv >= v)]
                    if len(holder) != 1 or inside.get(a, holder[0]) != holder[0]:  # type: ignore[union-attr]
                        inside = None
                        break
                    inside[a] = holder[0]  # type: ignore[index]
                if inside is None:
                    break
            if inside:
                out.append((fine, coarse, inside))
    return out


def _rref(eqs: list[tuple[list[Fraction], Fraction, str]], n: int) -> list[tuple[list[Fraction], Fraction]]:
    """The reduced row echelon form of a system (exact)."""
    rows = [(list(c), b) for c, b, _ in eqs]
    out: list[tuple[list[Fraction], Fraction]] = []
    for col in range(n):
        pivot = next((i for i, (c, _) in enumerate(rows) if c[col] != 0), None)
        if pivot is None:
            continue
        pc, pb = rows.pop(pivot)
        inv = 1 / pc[col]
        pc, pb = [x * inv for x in pc], pb * inv
        rows = [
            ([x - c[col] * y for x, y in zip(c, pc, strict=True)], b - c[col] * pb) if c[col] else (c, b)
            for c, b in rows
        ]
        out = [
            ([x - c[col] * y for x, y in zip(c, pc, strict=True)], b - c[col] * pb) if c[col] else (c, b)
            for c, b in out
        ]
        out.append((pc, pb))
    return out


def _in_span(rows: list[tuple[list[Fraction], Fraction]], target: list[Fraction]) -> Fraction | None:
    """The value of a target combination if the system determines it (exact), else None."""
    rest, value = list(target), Fraction(0)
    for c, b in rows:
        col = next(i for i, x in enumerate(c) if x != 0)
        f = rest[col]
        if f:
            rest = [x - f * y for x, y in zip(rest, c, strict=True)]
            value += f * b
    return value if all(x == 0 for x in rest) else None


# =================================================================================================
# 7. What a housing association is refused, rebuilt from what it may ask
# =================================================================================================


def _list_figures(
    rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], tuple[Any, ...]]
) -> dict[tuple[Any, ...], Any]:
    """The numbers and flags of table rows, keyed by row and column."""
    out: dict[tuple[Any, ...], Any] = {}
    for r in rows:
        for col, v in r.items():
            if v is not None and isinstance(v, int | float | bool) and not col.endswith("_state"):
                out[(*key(r), col)] = v
    return out


class RefusalAttack:
    """Every answer a housing association is refused (403) for another organisation's area,
    figure by figure (as a politician, with the same policy, gets it), against what the
    association can rebuild from the answers it may ask for: the same figure in another
    endpoint (values, lists, forecast, traffic lights, unfiltered flows), or worked out from them
    (the moves relations, the identities between counts)."""

    def __init__(
        self, col: Collection, role: str, reference: str, truth: Truth, geo: GeoAttack, moves: MoveAttack
    ) -> None:
        self.col, self.role, self.reference, self.truth = col, role, reference, truth
        self.geo, self.moves = geo, moves
        self.known_moves: dict[Key, float] = {}
        for y in col.move_years:
            prop = moves.system(y)
            prop.run()
            self.known_moves.update(prop.known)
        self.tables = self._tables()
        self.own_areas: dict[str, set[str]] = defaultdict(set)  # where its moves answer was not refused
        for (path, _), ans in col.answers.get(role, {}).items():
            if path.endswith("/moves") and ans.status == 200:
                self.own_areas[path.split("/")[4]].add(path.split("/")[6])

    def _tables(self) -> dict[str, dict[tuple[Any, ...], Any]]:
        """The list, forecast and traffic-light rows the association may ask for."""
        out: dict[str, dict[tuple[Any, ...], Any]] = {"lists": {}, "forecast": {}, "traffic-lights": {}}
        for (path, params), ans in self.col.answers.get(self.role, {}).items():
            if ans.status != 200 or not isinstance(ans.body, list) or dict(params).get("without_origin"):
                continue
            if path.endswith("/lists"):
                out["lists"].update(
                    _list_figures(ans.body, lambda r: (r["layer"], r["area_id"], r["list_year"]))
                )
            elif path.endswith("/forecast"):
                out["forecast"].update(
                    _list_figures(
                        ans.body, lambda r: (r["layer"], r["area_id"], r["list_year"], r["horizon"])
                    )
                )
            elif path.endswith("/traffic-lights"):
                out["traffic-lights"].update(
                    _list_figures(ans.body, lambda r: (r["model"], r["layer"], r["area_id"], r["year"]))
                )
        return out

    def refused(self) -> Iterator[tuple[Req, Any]]:
        """(request, the reference role's answer) for every request refused to the role."""
        mine, theirs = self.col.answers.get(self.role, {}), self.col.answers.get(self.reference, {})
        for r, a in mine.items():
            if a.status == 403 and r in theirs and theirs[r].status == 200:
                yield r, theirs[r].body

    def findings(self) -> Iterator[Finding]:
        for (path, params), body in self.refused():
            parts, p = path.split("/"), dict(params)
            if path.endswith("/breakdown"):
                yield from self._breakdown(parts[4], parts[6], body)
            elif path.endswith("/profile"):
                yield from self._profile(parts[4], parts[6], body)
            elif path.endswith("/moves"):
                yield from self._moves(parts[4], parts[6], body)
            elif path.endswith("/displacement"):
                yield from self._displacement(parts[4], parts[6], p, body)
            elif path.endswith("/moves/flows"):
                yield from self._flows(p, body)

    def _rebuilt(self, what: str, value: float, source: str, key: tuple[Any, ...]) -> Finding:
        return Finding("housing_association", what, float(value), float(value), source, key)

    def _breakdown(self, layer: str, area: str, body: dict[str, Any]) -> Iterator[Finding]:
        year, region = int(body["year"]), ("area", layer, area)
        known = self.geo.region_known(year, region)
        groups = [
            (g["indicator"], self.truth.stat(f"ind:{g['indicator']}:num"), g) for g in body.get("age", [])
        ]
        groups += [
            (g["housing_type"], self.truth.stat(f"res:{g['housing_type']}"), g)
            for g in body.get("housing", [])
        ]
        for name, stat, g in groups:
            if g.get("persons") is None or stat not in known:
                continue
            if abs(known[stat][0] - g["persons"]) < 1e-6:
                yield self._rebuilt(
                    f"breakdown {layer}/{area} {year} {name} = {_num(g['persons'])}",
                    g["persons"],
                    known[stat][1],
                    ("breakdown", layer, area, year, name),
                )

    def _profile(self, layer: str, area: str, body: dict[str, Any]) -> Iterator[Finding]:
        for table, rows, key in (
            ("lists", body.get("lists", []), lambda r: (r["layer"], r["area_id"], r["list_year"])),
            (
                "forecast",
                body.get("forecast", []),
                lambda r: (r["layer"], r["area_id"], r["list_year"], r["horizon"]),
            ),
            (
                "traffic-lights",
                body.get("traffic_lights", []),
                lambda r: (r["model"], r["layer"], r["area_id"], r["year"]),
            ),
        ):
            for k, v in _list_figures(rows, key).items():
                if isinstance(v, bool) or not isinstance(v, int | float):
                    continue
                if k in self.tables[table] and self.tables[table][k] == v:
                    yield self._rebuilt(
                        f"profile {layer}/{area}: {table} {k[-2]} {k[-1]} = {_num(float(v))}",
                        v,
                        f"/{table}?layer={layer}",
                        ("profile", table, *k),
                    )

    def _moves(self, layer: str, area: str, body: dict[str, Any]) -> Iterator[Finding]:
        for t in body.get("tallies", []):
            y = int(t["year"])
            for name in (
                "in_internal",
                "in_external",
                "out_internal",
                "out_external",
                "births",
                "ended",
                "in_total",
                "out_total",
            ):  # the residents at the year-ends are public (values)
                v = t.get(name)
                key = ("T", layer, y, area, name)
                if v is not None and key in self.known_moves and abs(self.known_moves[key] - v) < 1e-6:
                    yield self._rebuilt(
                        f"moves {layer}/{area} {y} {name} = {_num(v)}",
                        v,
                        "the flows, residents and relations it may ask for",
                        ("moves", *key),
                    )
        for r in body.get("profiles", []):
            pkey: Key = ("P", layer, int(r["year"]), area, r["group"], "persons")
            v = r.get("persons")
            if v is not None and pkey in self.known_moves and abs(self.known_moves[pkey] - v) < 1e-6:
                yield self._rebuilt(
                    f"moves {layer}/{area} {r['year']} {r['group']}-profile persons = {_num(v)}",
                    v,
                    "the flows and tallies it may ask for",
                    ("moves", *pkey),
                )

    def _displacement(
        self, layer: str, area: str, p: dict[str, str], body: list[dict[str, Any]]
    ) -> Iterator[Finding]:
        own = self.own_areas.get(layer, set())
        for r in body:
            y, b, v = int(r["year"]), r["to_area"], r.get("movers")
            if v is None or b in own:
                continue  # the movers into its own area are its own to see
            got = self._flow_known(layer, "movers", y, y, area, b)
            if got is not None and abs(got[0] - v) < 1e-6:
                yield self._rebuilt(
                    f"displacement {layer}/{area} {y} -> {b} movers = {_num(v)}",
                    v,
                    got[1],
                    ("displacement", layer, area, y, b),
                )

    def _flows(
        self, p: dict[str, str], body: list[tuple[str, str, float | None, str, str | None]]
    ) -> Iterator[Finding]:
        """A refused flows answer, row by row: rebuilt where the role has the same row in an
        answer it may ask for (another filter, the same grouping, measure and years) or worked it
        out (a single year's flow between areas). Rows of its own areas are its own to see."""
        layer, by, area = p["layer"], p["by"], p.get("area")
        measure, lo, hi = p.get("trait", "movers"), int(p["year_from"]), int(p["year_to"])
        own = self.own_areas.get(layer, set())
        if by != "area":
            return  # a sum over areas (kinds, housing types): rebuilt only with all its parts
        for a, b, v, _state, _label in body:
            if v is None or a in own or b in own:
                continue
            got = self._flow_known(layer, measure, lo, hi, a, b)
            if got is not None and abs(got[0] - v) < 1e-6:
                filt = f"area={area} " if area else ""
                yield self._rebuilt(
                    f"flows by=area layer={layer} trait={measure} {filt}{lo}-{hi} "
                    f"{a or 'outside'} -> {b or 'outside'} = {_num(v)}",
                    v,
                    got[1],
                    ("flows", layer, measure, lo, hi, a, b),
                )

    def _flow_known(
        self, layer: str, measure: str, lo: int, hi: int, a: str, b: str
    ) -> tuple[float, str] | None:
        """A flow between two areas over years, as the role can know it."""
        for (lay, by, m, area, housing), answers in self.moves.k.flows.items():
            if (lay, by, m, housing) == (layer, "area", measure, None) and (lo, hi) in answers:
                v, _ = answers[(lo, hi)].get((a, b), (None, False))
                if v is not None:
                    return v, f"/moves/flows?area={area}" if area else "/moves/flows"
        if lo == hi:
            key = ("F", layer, lo, measure, a, b)
            if key in self.known_moves:
                return self.known_moves[key], "worked out from the flows and tallies it may ask for"
        return None


# =================================================================================================
# 9. The attack
# =================================================================================================


def _same_answers(col: Collection) -> list[list[str]]:
    """Roles whose answers are identical (the same policy and access): attacked once."""
    groups: list[list[str]] = []
    for role in col.answers:
        for g in groups:
            if col.answers[g[0]] == col.answers[role]:
                g.append(role)
                break
        else:
            groups.append([role])
    return groups


GEO_FAMILIES = ("nested", "almen_others", "identities", "linear_algebra")
MOVE_FAMILIES = ("year_ranges", "accounting", "derived")


def _geo_within(a: GeoKnowledge, b: GeoKnowledge) -> bool:
    """Does `b` publish every figure (and share) `a` publishes, with the same value?"""
    return all(b.known(f.year, f.region, f.stat) == f.value for f in a.published()) and all(
        r in b.ratios for r in a.ratios
    )


def _moves_within(a: MoveKnowledge, b: MoveKnowledge) -> bool:
    """Does `b` hold every moves figure `a` holds, with the same value?"""

    def flows_within() -> bool:
        for key, answers in a.flows.items():
            theirs = b.flows.get(key, {})
            for rng, rows in answers.items():
                other = theirs.get(rng)
                if other is None or any(
                    v is not None and other.get(p, (None, False))[0] != v for p, (v, _) in rows.items()
                ):
                    return False
        return True

    return (
        all(v is None or b.cells.get(k, (None, False))[0] == v for k, (v, _) in a.cells.items())
        and all(b.shares.get(k) == v for k, v in a.shares.items())
        and all(b.decomposition.get(k) == v for k, v in a.decomposition.items())
        and all(b.displacement.get(k) == v for k, v in a.displacement.items())
        and flows_within()
    )


def attack(col: Collection, truth: Truth, thorough: bool = False, every_role: bool = False) -> Report:
    """Every family of the attack on what each role collected.

    `thorough`: also linear programming for the pins and up to three small sets per count and
    year in the mixed-integer search (instead of one). A role whose published figures all are
    published to a role attacked before (a housing association beside a politician: the same
    policy, fewer answers) can derive nothing that role cannot: its geography or moves families are
    then reported as bounded by that role's unless `every_role`."""
    report = Report(roles=list(col.answers))
    if truth.missing:
        report.notes.append(f"the database lacks tables {truth.missing}: families that need them are empty")
    for role, (like, asked, differ) in col.sampled.items():
        report.notes.append(
            f"{role}: asked every n-th request ({asked} answers); "
            + (
                f"all equal {like}'s, so {like}'s answers stand for {role}'s"
                if not differ
                else f"{differ} differ from {like}'s: attacked on its sample only"
            )
        )
    regions = Regions(truth, col.areas)
    attacked: dict[str, tuple[GeoAttack, MoveAttack]] = {}
    groups = _same_answers(col)
    for group in groups:
        role = group[0]
        geo = geo_knowledge(col, role, truth)
        ga = GeoAttack(truth, regions, geo, col.meta)
        ma = MoveAttack(truth, col, move_knowledge(col, role), geo)
        report.counts[f"{role}: figures about areas published / hidden"] = (
            f"{sum(1 for _ in geo.published())} / {sum(1 for _ in geo.hidden())}"
        )
        report.counts[f"{role}: flow answers"] = sum(len(v) for v in ma.k.flows.values())
        skip: set[str] = set()
        if not every_role:
            for other, (oga, oma) in attacked.items():
                for families, within in (
                    (GEO_FAMILIES, _geo_within(geo, oga.k)),
                    (MOVE_FAMILIES, _moves_within(ma.k, oma.k)),
                ):
                    if within and not skip.issuperset(families):
                        skip.update(families)
                        for r in group:
                            report.bounded.update({(r, f): other for f in families})
        attacked[role] = (ga, ma)
        for f in _attack_role(report, role, truth, ga, ma, thorough, skip):
            for r in group:
                report.add(r, f)
    for group in groups:
        role = group[0]
        refused = [r for r, a in col.answers[role].items() if a.status == 403]
        reference = next((g[0] for g in groups if g[0] != role), None)
        if not refused or reference is None:
            continue
        start = time.perf_counter()
        ga, ma = attacked[role]
        for f in RefusalAttack(col, role, reference, truth, ga, ma).findings():
            for r in group:
                report.add(r, f)
        report.counts[f"{role}: refused answers (403)"] = len(refused)
        report.seconds[f"refused figures ({role})"] = time.perf_counter() - start
    return report


def _attack_role(
    report: Report, role: str, truth: Truth, ga: GeoAttack, ma: MoveAttack, thorough: bool, skip: set[str]
) -> list[Finding]:
    """The small-count families for one role's knowledge (but those in `skip`), timed."""
    found: list[Finding] = []
    clock = [time.perf_counter()]

    def tick(step: str) -> None:
        now = time.perf_counter()
        report.seconds[f"{step} ({role})"] = now - clock[0]
        clock[0] = now

    if "nested" not in skip:
        found += ga.nested()
        found += ga.almen_others()
        found += ga.identities()
        tick("geography")
        inconsistent = 0
        for year in sorted(truth.geo):
            la = LinearAttack(ga, year)
            inconsistent += la.inconsistent()
            found += la.published_small()
            found += la.hidden()
            found += la.pinned(lp=thorough)
            found += la.small_sets(limit=3 if thorough else 1)
        if inconsistent:
            report.notes.append(
                f"{role}: {inconsistent} published figures disagree with the others (model check)"
            )
        tick("linear algebra")
    if "accounting" not in skip:
        found += ma.year_ranges()
        tick("year ranges")
        found += ma.accounting()
        tick("accounting")
        found += ma.derived()
        tick("derived")
        for name, n in sorted(ma.dropped.items()):
            report.notes.append(
                f"{role}: relation '{name}': {n} of {ma.checked[name] + n} instances left out "
                f"(they do not hold on the truth, or a figure is unknown to the truth)"
            )
    return found
