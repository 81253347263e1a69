"""The bytes → text layer of CSV reading (``kaohe.readers.csvtext``) at national scale.

Not a test: run it by hand (``.venv/bin/python benchmarks/csv_bytes.py``); the figures go
into docs/performance.md. The observations of ``score_scale.py``'s national year (6,000,000
rows, about 168 MiB) are written once as CSV, then timed side by side in the same run:

- reading the file (``Path.read_bytes``: the I/O floor) and a bare ``bytes.decode``;
- ``csvtext.decode_csv`` on the common file (fast path: whole-buffer checks only);
- the same with one note holding an Alt+Enter line break (quoted cells are then scanned);
- the same file saved in GB18030 (the encoding is then decided line by line);
- ``pandas.read_csv`` of the decoded text, the parser that follows (for scale).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score_scale import build_dataset, build_rubric  # noqa: E402

from kaohe.readers import csvtext  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=40_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20231231)
    args = ap.parse_args(argv)
    print(f"[{time.strftime('%H:%M:%S')}] building {args.units:,} units …", flush=True)
    rubric, _ = build_rubric(30)
    obs = build_dataset(rubric, args.units, 5, args.seed).observations.drop(columns=["ref"])
    with tempfile.TemporaryDirectory(prefix="kaohe-bytes-") as tmp:
        path = Path(tmp) / "observations.csv"
        obs.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        raw = path.read_bytes()
        mib = len(raw) / 2**20
        print(f"[{time.strftime('%H:%M:%S')}] {len(obs):,} rows, {mib:,.0f} MiB; timing …",
              flush=True)
        first = raw.index(b"\n", raw.index(b"\n") + 1)  # the end of the first data row
        multi = raw[:first] + '"第一行\n第二行"'.encode() + raw[first:]
        gb = raw.decode("utf-8").encode("gb18030")
        rows = [
            ("read_bytes (I/O)", best(path.read_bytes, args.repeat)),
            ("bytes.decode('utf-8')", best(lambda: raw.decode("utf-8"), args.repeat)),
            ("csvtext.decode_csv, common file", best(lambda: csvtext.decode_csv(raw, "x"), args.repeat)),
            ("csvtext.decode_csv, one Alt+Enter cell", best(lambda: csvtext.decode_csv(multi, "x"), args.repeat)),
            ("csvtext.decode_csv, GB18030 file", best(lambda: csvtext.decode_csv(gb, "x"), 1)),
        ]
        text = raw.decode("utf-8")
        rows.append(("pandas.read_csv(dtype=str) of the text",
                     best(lambda: pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False), 1)))
    print(f"\n| {mib:,.0f} MiB, {len(obs):,} rows | seconds | MiB/s |")
    print("|---|---:|---:|")
    for label, secs in rows:
        print(f"| {label} | {secs:.2f} | {mib / secs:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
