"""Building a database's protections in a process of its own.

The protections against differencing are minutes of pure-Python work at the example's scale. Built
in a server's process they share the interpreter lock with the event loop: under 50 clients the
build got a fiftieth of it and did not finish in twelve minutes, and the answers waited for it. A
separate process has a core of its own; it leaves its result in the database's kept files
(`files.kept_dir`), which the server — and its export process — then read.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from boligsocial.publish import disclosure as dc
from boligsocial.publish.service.keeping import Builder


def build(db: Path, policies: dict[str, dc.Policy], what: str, policy: dc.Policy) -> None:
    """In the child: make and keep one protection (`what` is "areas" or "moves")."""
    from boligsocial.publish.service import Service

    svc = Service(db, policies)
    if what == "moves":
        svc.move_protection(policy)
    else:
        svc.protection(policy)


def in_own_process(db: Path, policies: dict[str, dc.Policy]) -> Builder:
    """A builder that runs `build` in a fresh process and waits for it (the caller's thread waits,
    without holding the interpreter)."""

    def builder(what: str, policy: dc.Policy) -> None:
        child = multiprocessing.get_context("spawn").Process(
            target=build, args=(db, policies, what, policy), name=f"bsm-protect-{what}", daemon=True
        )
        child.start()
        child.join()

    return builder
