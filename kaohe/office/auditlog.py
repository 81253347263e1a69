"""The office's process log (操作日志): imports, refusals, publications and corrections.

One JSON object per line in ``audit.jsonl`` of the data directory, appended, never
rewritten: time, command, outcome, files with their sha256, counts, and what it was about.
It is a record for the office (shown on the internal page), not an input of scoring.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

LOG_FILE = "audit.jsonl"


def now_text(now: dt.datetime | None = None) -> str:
    """Local time with its offset, to the second: 2025-01-15T10:32:07+08:00."""
    return (now or dt.datetime.now().astimezone()).isoformat(timespec="seconds")


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def append(directory: Path, command: str, outcome: str, *, files: list[Path] = (),  # type: ignore[assignment]
           counts: dict[str, int] | None = None, now: dt.datetime | None = None,
           **details: Any) -> dict:
    """Append one entry (a single write of one line, flushed to disk) and return it."""
    entry: dict[str, Any] = {
        "time": now_text(now), "command": command, "outcome": outcome,
        "files": [{"file": Path(f).name, "sha256": file_sha256(Path(f))}
                  for f in files if Path(f).is_file()],
        "counts": counts or {}, **details}
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
    path = Path(directory) / LOG_FILE
    with open(path, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
    return entry


def read(directory: Path) -> list[dict]:
    """Every entry, oldest first; a damaged line is kept as a note, not dropped silently."""
    path = Path(directory) / LOG_FILE
    if not path.is_file():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = {"time": "", "command": "?", "outcome": "damaged",
                     "note": f"{LOG_FILE} 第{n}行无法读取"}
        out.append(entry if isinstance(entry, dict) else {"command": "?", "outcome": "damaged"})
    return out


__all__ = ["LOG_FILE", "append", "read", "now_text", "file_sha256"]
