"""The service's hold on one database: its current snapshot, reloaded when a load has replaced the
file (and with it the protections worked out for it and the memo of answers)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boligsocial.publish import disclosure as dc
from boligsocial.publish.service.keeping import Builder
from boligsocial.publish.service.move_protection import MoveProtection
from boligsocial.publish.service.protection import Protections, Statistics
from boligsocial.publish.service.snapshot import Snapshot, load_snapshot


class Current:
    """The snapshot of one database and a memo of answers.

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

    def memo(self, key: tuple[Any, ...], produce: Callable[[], Any]) -> Any:
        """A result remembered until the database changes (answers are pure functions of the
        snapshot and the key); bounded so odd keys cannot grow it without limit."""
        self.snap  # noqa: B018 - reloads (and clears the memo) when the file changed
        if key not in self._memo:
            if len(self._memo) > 20_000:
                self._memo.clear()
            self._memo[key] = produce()
        return self._memo[key]
