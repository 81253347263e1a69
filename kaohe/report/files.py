"""Atomic file writes: a reader, or a build killed at any moment, sees the old file or the
new one, never half of one.

Each file is written to a temporary name in its own directory, flushed to disk, then moved
over the target with ``os.replace`` (atomic on POSIX and Windows within one file system).
Temporary names start with ``.kaohe-tmp-``; ``sweep`` removes those a killed build left.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TMP_PREFIX = ".kaohe-tmp-"


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """A temporary path beside ``target`` to write; moved over ``target`` when the block
    ends without an exception, removed otherwise."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if tmp.exists() and tmp.stat().st_size:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes(target: Path | str, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (unchanged bytes: the file is left alone)."""
    target = Path(target)
    if target.exists() and target.stat().st_size == len(data) and target.read_bytes() == data:
        return
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path | str, text: str) -> None:
    """Write UTF-8 ``text`` to ``target`` atomically."""
    write_bytes(target, text.encode("utf-8"))


def sweep(root: Path | str) -> int:
    """Remove the temporary files and staging directories a killed build left under
    ``root``; how many."""
    n = 0
    for tmp in sorted(Path(root).rglob(f"{TMP_PREFIX}*")):
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
        else:
            continue  # inside a staging directory removed above
        n += 1
    return n
