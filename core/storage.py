"""One way to open the embedded SQLite files: a transaction per ``with`` block, closed after.

The folder is created private (0700) and the database file private (0600): transcripts and tickets
are personal data.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def private_file(path: Path) -> Path:
    """Make sure ``path``'s folder exists (0700 when created) and the file, if new, is 0600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    return path


@contextmanager
def connect(path: Path, timeout: float = 30) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(private_file(path), timeout=timeout)
    db.row_factory = sqlite3.Row
    try:
        with db:
            yield db
    finally:
        db.close()


@contextmanager
def read_only(path: Path, timeout: float = 10) -> Iterator[sqlite3.Connection]:
    """Another program's SQLite file (Rasa's tracker store), opened read-only; closed after."""
    db = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, timeout=timeout)
    try:
        yield db
    finally:
        db.close()
