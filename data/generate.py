"""Regenerate every bundled sample data directory from its seeded generator.

    python data/generate.py          # rewrite data/<scheme>/<year>/
    python data/generate.py --check  # exit 1 if the committed data differ from the generators
"""

from __future__ import annotations

import argparse
import filecmp
import importlib
import pkgutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generators  # noqa: E402


def generator_modules():
    for info in sorted(pkgutil.iter_modules(generators.__path__), key=lambda i: i.name):
        if info.name not in ("common", "returns"):
            yield importlib.import_module(f"generators.{info.name}")


def generate_all(root: Path) -> list[Path]:
    written: list[Path] = []
    for mod in generator_modules():
        written += mod.generate(root)
    from generators.returns import generate_returns  # reads what the others wrote

    written += generate_returns(root)
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args()
    if not args.check:
        files = generate_all(HERE)
        print(f"已生成 {len(files)} 个示例数据文件。")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        files = generate_all(Path(tmp))
        bad = [f.relative_to(tmp) for f in files
               if not (HERE / f.relative_to(tmp)).exists()
               or not filecmp.cmp(f, HERE / f.relative_to(tmp), shallow=False)]
    for f in bad:
        print(f"与生成脚本输出不一致：data/{f}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
