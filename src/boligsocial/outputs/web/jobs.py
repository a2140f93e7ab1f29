"""Exports as background jobs: queued, limited, with progress and a download link.

An export (a GeoPackage, an Excel workbook, a PDF) is seconds of CPU. Run in the request's worker
thread, 40 of them at once took the interpreter from the event loop and cut a cheap endpoint from
1,211 to 29 requests/s; run in a thread pool of the server's, four users exporting still took the
cheap answers' p95 from 101 to 282 ms (the interpreter lock). Now every export — `POST
/api/v1/exports` as a job, and the plain download `GET /api/v1/export/{fmt}` which waits for its
job — is made in a pool of processes of its own (`workers`, default one: the other core serves the
API), started when the first export is asked for, and a user may have at most `per_user` exports
queued or running (429 `export-busy` beyond). Finished files are kept, readable by the owner only,
for `keep_seconds`, then removed; all of them when the server stops (`close`, from its lifespan).
"""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_hex

from boligsocial.common.errors import NotFound, RequestError
from boligsocial.common.words import words
from boligsocial.outputs.export.order import Progress


class ExportBusy(RequestError):
    """The user has as many exports queued or running as allowed."""

    status = 429


@dataclass
class Job:
    """One export: who asked, what, how far it got, and the file when it is done."""

    id: str
    owner: str
    what: str
    name: str
    media_type: str
    created: float = field(default_factory=time.time)
    state: str = "queued"  # queued → running → done | failed
    path: Path | None = None
    error: dict[str, object] | None = None
    future: Future[Path] | None = None
    progress_file: Progress | None = None

    @property
    def progress(self) -> float:
        if self.state == "done":
            return 1.0
        return self.progress_file.read() if self.progress_file else 0.0

    def public(self) -> dict[str, object]:
        """What the API shows of a job (never the file's place on disk)."""
        state = self.state
        if state == "queued" and self.progress_file is not None and self.progress_file.path.exists():
            state = "running"  # the export process has begun it
        out: dict[str, object] = {
            "id": self.id,
            "what": self.what,
            "state": state,
            "progress": round(self.progress, 2),
            "status_url": f"/api/v1/exports/{self.id}",
        }
        if self.state == "done":
            out["download_url"] = f"/api/v1/exports/{self.id}/file"
            out["name"] = self.name
        if self.error:
            out["error"] = self.error
        return out


#: What a job runs in the export process: given a folder and its progress, it writes the file and
#: returns its path. It must be picklable (a module-level function with its arguments bound).
Work = Callable[[Path, Progress], Path]


def _perform(work: Work, folder: Path, progress: Progress) -> Path:
    """In the export process: make the file; a failure that is not the user's leaves no file."""
    progress(0.0)
    try:
        return work(folder, progress)
    except RequestError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    except Exception as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None  # may not unpickle in the server


class ExportJobs:
    """The export jobs of one application."""

    def __init__(self, workers: int = 1, per_user: int = 2, keep_seconds: float = 3600.0) -> None:
        self.workers = workers
        self.per_user = per_user
        self.keep_seconds = keep_seconds
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._dir = Path(tempfile.mkdtemp(prefix="bsm-exports-"))  # mode 0700

    def _processes(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, multiprocessing.get_context("spawn"))
            return self._pool

    def submit(
        self,
        owner: str,
        what: str,
        work: Work,
        name: str,
        media_type: str,
        done: Callable[[Job], None] | None = None,
    ) -> Job:
        """Queue an export for `owner`; `done` is called (in the server) when it has succeeded."""
        self._expire()
        with self._lock:
            unfinished = [
                j for j in self._jobs.values() if j.owner == owner and j.state in ("queued", "running")
            ]
            if len(unfinished) >= self.per_user:
                raise ExportBusy(
                    "export-busy",
                    words("en")("error.export-busy", running=len(unfinished)),
                    {"running": [j.id for j in unfinished], "per_user": self.per_user},
                    params={"running": len(unfinished)},
                )
            job = Job(token_hex(8), owner, what, name, media_type)
            self._jobs[job.id] = job
        folder = self._dir / job.id
        folder.mkdir(mode=0o700)
        job.progress_file = Progress(folder / ".progress")
        try:
            job.future = self._processes().submit(_perform, work, folder, job.progress_file)
        except BrokenProcessPool:  # an export process died since the last finished job
            self._discard_broken()
            job.future = self._processes().submit(_perform, work, folder, job.progress_file)
        job.future.add_done_callback(lambda future: self._finished(job, future, done))
        return job

    def _discard_broken(self) -> None:
        """Forget the pool if one of its processes died (killed, out of memory): the next export
        starts a new one instead of every export failing until the server restarts."""
        with self._lock:
            if self._pool is not None and getattr(self._pool, "_broken", False):
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    def _finished(self, job: Job, future: Future[Path], done: Callable[[Job], None] | None) -> None:
        if future.cancelled():
            job.state = "failed"
            job.error = {"code": "export-failed", "message": "the export was cancelled"}
            return
        exc = future.exception()
        if isinstance(exc, BrokenProcessPool):
            self._discard_broken()
        if isinstance(exc, RequestError):
            job.state, job.error = "failed", {"code": exc.code, "message": str(exc), "detail": exc.detail}
        elif exc is not None:
            job.state, job.error = "failed", {"code": "export-failed", "message": "the export failed"}
        else:
            job.path, job.state = future.result(), "done"
            if done is not None:
                done(job)

    def get(self, job_id: str, owner: str) -> Job:
        """The owner's job (another user's is as unknown as a made-up id)."""
        self._expire()
        job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise NotFound(
                "unknown-export", f"ingen eksport '{job_id}' / no export '{job_id}'", params={"job": job_id}
            )
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
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self._dir, ignore_errors=True)
