"""Races on real connections: each job runs on its own thread (and so its own database
connection), all released together by a barrier, each committing or rolling back alone."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask

from marketplace.core.errors import DomainError
from marketplace.extensions import db as _db

#: ``{"name": outcome when it commits, "prepare": () -> args, "act": (*args) -> None}``
Job = dict[str, Any]


def race(
    app: Flask, jobs: Sequence[Job], *, refused: Callable[[DomainError], str] | None = None
) -> list[str]:
    """Run ``jobs`` at the same moment; returns each one's outcome: its ``name`` when it
    committed, else ``refused(error)`` (default ``"refused"``) for a DomainError."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []

    def run(job: Job) -> None:
        with app.app_context():
            try:
                prepared = job["prepare"]()
                barrier.wait()
                job["act"](*prepared)
                _db.session.commit()
                outcomes.append(job["name"])
            except DomainError as exc:
                _db.session.rollback()
                outcomes.append(refused(exc) if refused else "refused")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
