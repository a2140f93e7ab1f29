"""An export ordered through the server, made in a process of its own.

An export is seconds of CPU in Python (workbooks, maps, PDF pages). Made in the server's process it
shares the interpreter lock with the event loop, and four users exporting without pause took the
cheap answers' p95 from 101 to 282 ms. An `Order` says everything the file depends on, so the
server's export pool can make it in another process: that process keeps a service per database (its
snapshot, and the protections read from the database's kept files, never built twice) and reports
its progress in a small file beside the export.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from boligsocial.outputs.export.published import Publication
from boligsocial.publish.disclosure import Policy
from boligsocial.publish.service import Service, Viewer

#: Services this process keeps (one per database and set of policies), the least used dropped.
_SERVICES: OrderedDict[tuple[str, tuple[tuple[str, Policy], ...]], Service] = OrderedDict()
_KEEP = 4


@dataclass(frozen=True)
class Order:
    """One export: the database, the installation's policies, whom it is for, what it holds and
    its language (`lang`: the words of a workbook, field descriptions or report)."""

    db: Path
    policies: tuple[tuple[str, Policy], ...]
    reader: Viewer
    fmt: str
    layer: str
    year: int | None
    area: str | None
    wgs84: bool
    suffix: str
    lang: str = "da"


class Progress:
    """A job's progress as a fraction in a file its server reads (a process shares no memory)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, fraction: float) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{fraction:.3f}", encoding="ascii")
        tmp.replace(self.path)

    def read(self) -> float:
        with contextlib.suppress(OSError, ValueError):
            return float(self.path.read_text(encoding="ascii"))
        return 0.0


def service(db: Path, policies: tuple[tuple[str, Policy], ...]) -> Service:
    """This process's service over `db` (kept: its snapshot and protections are costly to make)."""
    key = (str(db.resolve()), policies)
    if key in _SERVICES:
        _SERVICES.move_to_end(key)
    else:
        _SERVICES[key] = Service(db, dict(policies))
        while len(_SERVICES) > _KEEP:
            _SERVICES.popitem(last=False)
    return _SERVICES[key]


def make(order: Order, folder: Path, progress: Progress) -> Path:
    """Write the ordered file into `folder`; its path."""
    from boligsocial.outputs.export.formats import export  # it imports this module

    progress(0.1)
    policies = dict(order.policies)
    pub = Publication.of(service(order.db, order.policies), order.reader, policies)
    progress(0.4)
    written = export(
        pub,
        order.fmt,
        folder / f"export{order.suffix}",
        year=order.year,
        layer=order.layer,
        area=order.area,
        lang=order.lang,
    )
    progress(1.0)
    return written[-1 if order.wgs84 else 0]
