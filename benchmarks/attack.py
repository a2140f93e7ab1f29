"""Benchmark and audit: an outsider's differencing attack on a loaded database.

Logs in (in process, no network) as a politician, as staff and as a housing association, collects
every answer of every API endpoint, differences them across layers, years, ranges, identities and
endpoints (tests/attack.py), and prints per attack family how many hidden small counts (1-4
persons) it recovered exactly, with examples and their derivations, and what it took. Exit code 1
when anything is recovered, 2 when the database was loaded by another version of boligsocial::

    .venv/bin/python benchmarks/attack.py --db demo/bsm.duckdb

The database is only read; the users live in a temporary access file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from attack import ATTACK_ROLES, FAMILIES, HOUSING_ORG, Plan, Truth, attack, collect


def _app(db: Path, access: Path, roles: list[str], organisation: str) -> tuple[object, dict[str, str]]:
    """The app on the database with one user and API token per role (in a temporary access file)."""
    from boligsocial.outputs.web import create_app
    from boligsocial.outputs.web.settings import WebSettings

    app = create_app(db, WebSettings(access_db=access))
    tokens = {}
    for role in roles:
        org = organisation if role == "housing_association" else None
        app.state.access.add_user(
            f"attack-{role}", role, f"attack-password-{role}", org, weak_password_ok=True
        )
        tokens[role] = app.state.access.new_token(f"attack-{role}", "attack")
    return app, tokens


def _schema_problem(truth: Truth) -> str | None:
    """Why the database cannot be attacked as it is (another version's schema), if it cannot."""
    from boligsocial.store.database import SCHEMA_VERSION

    if truth.schema_version != SCHEMA_VERSION:
        return (
            f"the database has schema version {truth.schema_version}, this code expects {SCHEMA_VERSION}: "
            "load the delivery again (bsm load) before attacking it"
        )
    if truth.missing:
        return f"the database lacks the tables {truth.missing}: load the delivery again (bsm load)"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True, help="a loaded database (read only)")
    parser.add_argument("--roles", default=",".join(ATTACK_ROLES), help="roles to attack as")
    parser.add_argument("--organisation", default=HOUSING_ORG, help="the housing association's organisation")
    parser.add_argument("--workers", type=int, default=2, help="processes that collect the answers")
    parser.add_argument(
        "--deadline", type=float, default=0.0, help="stop collecting after this many seconds (0: never)"
    )
    parser.add_argument(
        "--all-ranges", action="store_true", help="every range of years also for flows with an area filter"
    )
    parser.add_argument("--every-role", action="store_true", help="attack a role even when another sees more")
    parser.add_argument(
        "--every-request",
        action="store_true",
        help="ask every request as staff too (default: a sample, standing in for the politician's answers)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="as the test: interval bounds instead of linear programming, one small set per count and year",
    )
    parser.add_argument("--json", type=Path, help="also write the findings as JSON")
    args = parser.parse_args()

    if not args.db.exists():
        print(f"no database at {args.db}", file=sys.stderr)
        return 2
    truth = Truth(args.db)
    problem = _schema_problem(truth)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    roles = [r for r in args.roles.split(",") if r]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bsm-attack-") as tmp:
        app, tokens = _app(args.db, Path(tmp) / "access.sqlite", roles, args.organisation)
        plan = Plan(
            tuple(roles), filtered_ranges=args.all_ranges, workers=args.workers, deadline=args.deadline
        )
        if args.every_request:
            plan = Plan(
                tuple(roles),
                filtered_ranges=args.all_ranges,
                workers=args.workers,
                deadline=args.deadline,
                sampled=(),
            )
        col = collect(app, tokens, plan)
    report = attack(col, truth, thorough=not args.quick, every_role=args.every_role)
    report.seconds = {"collect": col.seconds, **report.seconds, "total": time.perf_counter() - start}
    report.counts["requests sent"] = col.sent
    report.counts["skipped"] = dict(col.skipped)
    report.counts["answers by status"] = {role: dict(s) for role, s in col.statuses.items()}
    report.counts["collect seconds per endpoint"] = {
        k: round(v, 1) for k, v in sorted(col.timings.items(), key=lambda kv: -kv[1])
    }
    print(f"differencing attack on {args.db}")
    print(report.text())
    print("== recovered per family: " + ", ".join(f"{f} {report.recovered(f)}" for f in FAMILIES))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    fam: {
                        role: [
                            {
                                "what": f.what,
                                "derived": f.derived,
                                "truth": f.truth,
                                "derivation": f.derivation,
                            }
                            for f in found.values()
                        ]
                        for role, found in per_role.items()
                    }
                    for fam, per_role in report.findings.items()
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    return 1 if report.recovered() else 0


if __name__ == "__main__":
    sys.exit(main())
