"""Running work at the same moment from several threads, each with its own database
connection, for the tests of row locks and conditional updates (on PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def at_once(jobs: list[Callable[[], object]]) -> tuple[list, list[Exception]]:
    """Run the callables in threads released together: what each returned (in the order they
    finished) and the exceptions raised."""
    results: list = []
    errors: list[Exception] = []
    start = threading.Barrier(len(jobs))

    def run(job):
        try:
            start.wait()
            results.append(job())
        except Exception as exc:  # the caller asserts on them
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
