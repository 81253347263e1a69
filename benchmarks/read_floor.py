"""How far below the floor a loader that checks every cell can go: pyarrow reading a national
``observations.csv`` as plain text (the floor of ``score_scale.py``), and the same read
with each piece a validating loader cannot leave out added, side by side in one run.

Not a test: run it by hand (``.venv/bin/python benchmarks/read_floor.py``); the figures go
into docs/performance.md. Issue 16 asks ``pipeline.load`` to stay within 2.5× the floor.
Two things every load does before it checks anything:

- the file's SHA-256, the provenance that ``kaohe verify`` re-checks;
- a code per text cell: whether a row's unit is in units.csv, whether its indicator is in
  the rubric, whether a (unit, indicator, source, item) repeats, are lookups of every cell,
  and a lookup hashes the cell (pyarrow's dictionary encoding; ``pc.index_in`` against the
  units costs the same).

Each variant is timed in turn, round after round, so a busy moment weighs on all of them;
the best and the median of the rounds are printed, with the CPU time of the best, and the
ratio of each to the floor.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score_scale import build_dataset, build_rubric, write_csv_dir  # noqa: E402

from kaohe import columnar  # noqa: E402


def _read(path: Path, kind: pa.DataType) -> pa.Table:
    with path.open("rb") as f:
        names = _read_names(f.readline())
    return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
        column_types=dict.fromkeys(names, kind)))


def _hashed(path: Path, read: Callable[[bytes], object]) -> None:
    """``read`` of the file's bytes while a thread hashes them, as ``dataset.read_table``."""
    raw = path.read_bytes()
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(lambda: hashlib.sha256(raw).hexdigest())
        read(raw)
        digest.result()


def variants(path: Path) -> dict[str, Callable[[], object]]:
    text = pa.string()
    return {
        "floor: plain text": lambda: _read(path, text),
        "plain text + SHA-256": lambda: _hashed(path, lambda raw: pcsv.read_csv(
            pa.BufferReader(raw), convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(_read_names(raw), text)))),
        "read with codes": lambda: _read(path, columnar.TEXT_CODES),
        "read with codes + SHA-256 (loader's read)": lambda: _hashed(path, columnar.csv_columns),
    }


def _read_names(raw: bytes) -> list[str]:
    """The header's column names, from the file's bytes or its first line."""
    end = raw.find(b"\n")  # no copy of the rest: the bytes may be the whole file
    return raw[:end if end >= 0 else len(raw)].decode("utf-8-sig").rstrip("\r").split(",")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, help="an observations.csv to read (else one is made)")
    ap.add_argument("--units", type=int, default=40_000, help="size of the one made")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kaohe-floor-") as tmp:
        path = args.csv
        if path is None:
            rubric, raw = build_rubric(30)
            _, data_dir = write_csv_dir(raw, build_dataset(rubric, args.units, 5, 20231231,
                                                           "indicator"), Path(tmp))
            path = data_dir / "observations.csv"
        print(f"{path.name}: {path.stat().st_size / 2**20:,.0f} MiB, {args.rounds} rounds")
        runs: dict[str, list[tuple[float, float]]] = {}
        for _ in range(args.rounds):
            for name, fn in variants(path).items():
                w, c = time.perf_counter(), time.process_time()
                fn()
                runs.setdefault(name, []).append((time.perf_counter() - w, time.process_time() - c))
        floor = min(runs["floor: plain text"])[0]
        print(f"{'read':44s} {'best s':>7s} {'median s':>9s} {'CPU s':>6s} {'ratio':>6s}")
        for name, got in runs.items():
            wall, cpu = min(got)
            median = statistics.median(w for w, _ in got)
            print(f"{name:44s} {wall:7.2f} {median:9.2f} {cpu:6.2f} {wall / floor:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
