"""Protections built once and kept: per process, the protections already built, shared by every
service on the same database file and version (`shared`, which also makes requests that need
one while it is being built wait for that build); and what names a kept file beside the database
(`CODE`, the protections' code) and who may build one elsewhere (`Builder`)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boligsocial import __version__
from boligsocial.publish import disclosure as dc

#: Protections already built in this process, shared by every service on the same database file
#: and version (the CLI, the exports and the tests make many services over one file): (file,
#: modification time, what, policy, the default policy it is built on) → protection.
BUILT: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
BUILT_LOCK = threading.Lock()
BUILT_MAX = 16


BUILDING: dict[tuple[Any, ...], threading.Lock] = {}


def shared(key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """The protection under `key`, built once: requests that need it while it is being built (the
    API computes answers in worker threads, several at once) wait for that build instead of each
    making its own."""
    with BUILT_LOCK:
        if key in BUILT:
            BUILT.move_to_end(key)
            return BUILT[key]
        building = BUILDING.setdefault(key, threading.Lock())
    with building:
        with BUILT_LOCK:
            if key in BUILT:  # built by the one we waited for
                BUILT.move_to_end(key)
                return BUILT[key]
        made = make()
        with BUILT_LOCK:
            BUILT[key] = made
            BUILDING.pop(key, None)
            while len(BUILT) > BUILT_MAX:
                BUILT.popitem(last=False)
    return made


def code_digest() -> str:
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


CODE = code_digest()


#: Builds the kept protections of (what, policy) for a service somewhere else (a server's own
#: process for it), leaving them in the database's `kept_dir` for this process to read.
Builder = Callable[[str, dc.Policy], None]
