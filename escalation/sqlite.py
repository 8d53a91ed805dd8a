"""One way to open the service's embedded SQLite files: a transaction per ``with`` block, closed after."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def connect(path: Path, timeout: float = 30) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(path, timeout=timeout)
    db.row_factory = sqlite3.Row
    try:
        with db:
            yield db
    finally:
        db.close()
