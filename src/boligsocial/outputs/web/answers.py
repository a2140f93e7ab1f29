"""Answers of the JSON API: remembered by what they depend on, bounded by bytes, computed off the
event loop, and recorded in the audit log.

Before, the memo was keyed on the raw query string and bounded only by its number of entries:
junk parameters (`?x=1`, `?x=2`, …) each made a new entry, and 1,500 requests took the server
from 565 MB to 1.5 GB. Now an unknown parameter is refused (422 `unknown-parameter`, with the
parameters the endpoint takes), the key is made of the known parameters only (the value the
endpoint reads: the last one given; numbers as numbers), and the cache is a least-recently-used
store bounded by the bytes of the answers it holds.

Answers that are not remembered are computed in a worker thread, one computation per key however
many ask at once, so a slow answer (`lists?without_origin=true`, a first visit that builds a
protection) does not stall the event loop and every other user with it.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from boligsocial.common.errors import InvalidParameter
from boligsocial.common.words import words

#: Default bound of the answer cache.
DEFAULT_BYTES = 256 * 1024 * 1024


class AnswerCache:
    """A least-recently-used map from keys to serialised answers, bounded by their bytes."""

    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[tuple[Any, ...], tuple[bytes, int | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._running: dict[tuple[Any, ...], asyncio.Future[tuple[bytes, int | None]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[Any, ...]) -> tuple[bytes, int | None] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: tuple[bytes, int | None]) -> None:
        size = len(value[0])
        if size > self.max_bytes // 4:  # one huge answer must not empty the cache: not kept
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= len(old[0])
            self._entries[key] = value
            self.bytes += size
            while self.bytes > self.max_bytes and self._entries:
                _, (body, _) = self._entries.popitem(last=False)
                self.bytes -= len(body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    async def answer(
        self, key: tuple[Any, ...], produce: Callable[[], tuple[bytes, int | None]]
    ) -> tuple[bytes, int | None]:
        """The remembered answer, or `produce()` run in a worker thread — once per key, however
        many requests ask for it meanwhile."""
        found = self.get(key)
        if found is not None:
            return found
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[tuple[bytes, int | None]] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await run_in_threadpool(produce)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            self._running.pop(key, None)
        self.put(key, value)
        future.set_result(value)
        return value


def rows_of(answer: Any) -> int | None:
    """How many rows an answer holds, for the audit log: a list's length, else the length of the
    first list among its values (areas, rows, flows, features)."""
    if isinstance(answer, list):
        return len(answer)
    if isinstance(answer, dict):
        for value in answer.values():
            if isinstance(value, list):
                return len(value)
    return None


def serialise(answer: Any) -> tuple[bytes, int | None]:
    return json.dumps(answer, ensure_ascii=False, allow_nan=False).encode(), rows_of(answer)


_KNOWN: dict[int, frozenset[str]] = {}


def known_parameters(request: Request) -> frozenset[str]:
    """The query parameters the matched endpoint takes (its own and its dependencies')."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return frozenset(request.query_params)
    known = _KNOWN.get(id(route))
    if known is None:
        names: set[str] = set()
        todo = [dependant]
        while todo:  # the endpoint and, recursively, its dependencies
            current = todo.pop()
            names.update(p.alias for p in current.query_params)
            todo.extend(current.dependencies)
        # every endpoint takes `lang`: the language of its error messages (and of its words)
        known = _KNOWN[id(route)] = frozenset(names | {"lang"})
    return known


async def refuse_unknown_parameters(request: Request) -> None:
    """A router dependency: 422 `unknown-parameter` for a query parameter the endpoint does not
    take (a typo would otherwise be ignored silently, and junk would make new cache keys)."""
    known = known_parameters(request)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise InvalidParameter(
            "unknown-parameter",
            words("en")("error.unknown-parameter", names=", ".join(unknown)),
            {"unknown": unknown, "allowed": sorted(known)},
            params={"names": ", ".join(unknown)},
        )


_INTEGER = re.compile(r"-?[0-9]+")


def normalised(request: Request) -> tuple[tuple[str, Any], ...]:
    """The known query parameters as the endpoint reads them: the last value of each, integers
    as integers, `true`/`false` as booleans; sorted."""
    known = known_parameters(request)
    out = []
    for name in sorted(set(request.query_params) & known):
        value: Any = request.query_params.getlist(name)[-1]
        text = value.strip().lower()
        if _INTEGER.fullmatch(text):  # ASCII digits only: "²".isdigit() is true, int("²") fails
            value = int(text)
        elif text in ("true", "1", "yes", "on", "false", "0", "no", "off") and not text.isdigit():
            value = text in ("true", "yes", "on")
        out.append((name, value))
    return tuple(out)
