"""One writer at a time: a durable file queue in the index directory, drained under a lock.

Whoosh lets one writer hold an index; a second process opening a writer meanwhile gets
``LockError``. With several gunicorn workers indexing after their commits, every write is first
appended to the queue (one small file per batch, written under a temporary name and renamed into
place, so a reader never sees half a batch). The process that then gets the exclusive
``flock`` on ``writer.lock`` drains the queue: it applies every pending batch, oldest first, in
one Whoosh writer, and deletes the batches it applied. A process that finds the lock taken
leaves its batch to the holder, which looks at the queue again after releasing the lock; so
when the last writer returns, the queue is empty. A batch left behind by a crash is applied by
the next drain; applying a batch twice is harmless (documents are replaced by key).
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_counter = itertools.count()


class WriterBusy(Exception):
    """The writer lock was not free within the time allowed."""


class WriteQueue:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.directory = root / "queue"
        self.lock_path = root / "writer.lock"

    def ensure(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def put(self, operations: list[dict[str, Any]]) -> Path:
        """Append one batch of operations; returns the batch's file."""
        self.ensure()
        name = f"{time.time_ns():020d}-{os.getpid():07d}-{next(_counter):06d}.json"
        temporary = self.directory / f".{name}.tmp"
        with temporary.open("w", encoding="utf-8") as out:
            json.dump(operations, out, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        final = self.directory / name
        os.replace(temporary, final)
        return final

    def pending(self) -> list[Path]:
        """Batches waiting, oldest first."""
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        return [self.directory / n for n in sorted(names) if n.endswith(".json")]

    @staticmethod
    def read(batch: Path) -> list[dict[str, Any]]:
        with batch.open(encoding="utf-8") as handle:
            operations: list[dict[str, Any]] = json.load(handle)
        return operations

    @staticmethod
    def remove(batches: list[Path]) -> None:
        for batch in batches:
            batch.unlink(missing_ok=True)

    @contextmanager
    def locked(self, *, wait: float | None) -> Iterator[bool]:
        """Hold the writer lock. ``wait=None`` waits as long as it takes, ``0`` not at all;
        yields whether the lock is held. The lock dies with its process, so a crashed writer
        never leaves it stuck."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        held = False
        try:
            deadline = None if wait is None else time.monotonic() + wait
            delay = 0.005
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    held = True
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() >= deadline:
                        break
                    time.sleep(delay)
                    delay = min(delay * 2, 0.2)
            yield held
        finally:
            if held:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
