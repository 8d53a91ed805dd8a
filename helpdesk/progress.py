"""A progress bar on stderr for long CLI steps (index builds)."""

from __future__ import annotations

import sys


def progress_bar(label: str):
    def report(done: int, total: int) -> None:
        if total == 0:
            print(f"{label}: nothing changed", file=sys.stderr)
            return
        width = 30
        filled = int(width * done / total)
        end = "\n" if done >= total else ""
        print(f"\r{label}: [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True)

    return report
