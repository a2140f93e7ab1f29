"""Exports as background jobs: queued, limited, with progress and a download link.

An export (a GeoPackage, an Excel workbook, a PDF) is seconds of CPU. Run in the request's worker
thread, 40 of them at once took the interpreter from the event loop and cut a cheap endpoint from
1,211 to 29 requests/s. Now every export — `POST /api/v1/exports` as a job, and the plain
download `GET /api/v1/export/{fmt}` which waits for its job — runs in a small pool of its own
(`workers`, default one: the other core serves the API), and a user may have at most `per_user`
exports queued or running (429 `export-busy` beyond). Finished files are kept, readable by the
owner only, for `keep_seconds`, then removed.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_hex

from boligsocial.errors import NotFound, RequestError


class ExportBusy(RequestError):
    """The user has as many exports queued or running as allowed."""

    status = 429


@dataclass
class Job:
    """One export: who asked, what, how far it got, and the file when it is done."""

    id: str
    owner: str
    what: str
    created: float = field(default_factory=time.time)
    state: str = "queued"  # queued → running → done | failed
    progress: float = 0.0
    path: Path | None = None
    name: str = ""
    media_type: str = ""
    error: dict[str, object] | None = None
    future: Future[Job] | None = None

    def public(self) -> dict[str, object]:
        """What the API shows of a job (never the file's place on disk)."""
        out: dict[str, object] = {
            "id": self.id,
            "what": self.what,
            "state": self.state,
            "progress": round(self.progress, 2),
            "status_url": f"/api/v1/exports/{self.id}",
        }
        if self.state == "done":
            out["download_url"] = f"/api/v1/exports/{self.id}/file"
            out["name"] = self.name
        if self.error:
            out["error"] = self.error
        return out


#: What a job runs: given a folder and a progress callback, it writes the file and returns
#: (path, download name, media type).
Work = Callable[[Path, Callable[[float], None]], tuple[Path, str, str]]


class ExportJobs:
    """The export jobs of one application."""

    def __init__(self, workers: int = 1, per_user: int = 2, keep_seconds: float = 3600.0) -> None:
        self.per_user = per_user
        self.keep_seconds = keep_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bsm-export")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._dir = Path(tempfile.mkdtemp(prefix="bsm-exports-"))  # mode 0700

    def submit(self, owner: str, what: str, work: Work, done: Callable[[Job], None] | None = None) -> Job:
        """Queue an export for `owner`; `done` is called (in the worker) when it has succeeded."""
        self._expire()
        with self._lock:
            unfinished = [
                j for j in self._jobs.values() if j.owner == owner and j.state in ("queued", "running")
            ]
            if len(unfinished) >= self.per_user:
                raise ExportBusy(
                    "export-busy",
                    f"du har allerede {len(unfinished)} eksporter i gang; vent på dem / "
                    f"{len(unfinished)} of your exports are still queued or running; wait for them",
                    {"running": [j.id for j in unfinished], "per_user": self.per_user},
                )
            job = Job(token_hex(8), owner, what)
            self._jobs[job.id] = job
        job.future = self._pool.submit(self._run, job, work, done)
        return job

    def _run(self, job: Job, work: Work, done: Callable[[Job], None] | None) -> Job:
        job.state = "running"
        folder = self._dir / job.id
        folder.mkdir(mode=0o700)

        def progress(fraction: float) -> None:
            job.progress = max(job.progress, min(1.0, fraction))

        try:
            job.path, job.name, job.media_type = work(folder, progress)
        except RequestError as exc:
            job.state, job.error = "failed", {"code": exc.code, "message": str(exc), "detail": exc.detail}
            shutil.rmtree(folder, ignore_errors=True)
            raise
        except Exception:
            job.state, job.error = "failed", {"code": "export-failed", "message": "the export failed"}
            shutil.rmtree(folder, ignore_errors=True)
            raise
        job.state, job.progress = "done", 1.0
        if done is not None:
            done(job)
        return job

    def get(self, job_id: str, owner: str) -> Job:
        """The owner's job (another user's is as unknown as a made-up id)."""
        self._expire()
        job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise NotFound("unknown-export", f"ingen eksport '{job_id}' / no export '{job_id}'")
        return job

    def _expire(self) -> None:
        cutoff = time.time() - self.keep_seconds
        with self._lock:
            old = [j for j in self._jobs.values() if j.created < cutoff and j.state in ("done", "failed")]
            for j in old:
                del self._jobs[j.id]
        for j in old:
            shutil.rmtree(self._dir / j.id, ignore_errors=True)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self._dir, ignore_errors=True)
