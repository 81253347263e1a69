"""The ``kaohe`` command: thin — parse arguments, call the pipeline, print in Chinese."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import KaoheError
from .pipeline import load, row_accounting, run, write_scores

EPILOG_VALIDATE = """示例：
  kaohe validate params/changshou-rural/2023.yaml
  kaohe validate params/*/*.yaml
发现问题时逐条列出（文件:行:列: 说明），全部列出后以退出码 1 结束。"""

EPILOG_SCORE = """示例：
  kaohe score params/changshou-rural/2023.yaml --out reports/changshou-rural/2023
输出：totals.csv（每个单位的总分、排名、等次）、details.csv（单位×指标的得分与理由）、
reasons.csv（每一处加分扣分及其来源行）、indicators.csv、flags.csv、self_check.csv、
provenance.json（评分细则与数据的哈希、版本、提交）。"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kaohe",
        description="kaohe：可复现的年度考核评分。评分细则在 params/，数据在 data/。",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"kaohe {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="命令")

    v = sub.add_parser("validate", help="检查评分细则和数据，列出全部问题",
                       description="检查评分细则（YAML）和对应数据目录，列出全部问题。",
                       epilog=EPILOG_VALIDATE, formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("params", nargs="+", type=Path, help="评分细则文件 params/<方案>/<年度>.yaml")
    v.add_argument("--data", type=Path, default=None,
                   help="数据目录（默认 data/<方案>/<年度>/；只检查一个评分细则时可用）")

    s = sub.add_parser("score", help="计算得分，写出 totals.csv 和 details.csv",
                       description="按评分细则对全部单位计分，写出结果表。",
                       epilog=EPILOG_SCORE, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("params", type=Path, help="评分细则文件 params/<方案>/<年度>.yaml")
    s.add_argument("--out", type=Path, required=True, help="输出目录")
    s.add_argument("--data", type=Path, default=None, help="数据目录（默认 data/<方案>/<年度>/）")
    return p


def _print_problems(exc: KaoheError) -> None:
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    print(f"共发现 {len(exc.problems)} 个问题。", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    if args.data and len(args.params) > 1:
        print("--data 只能与一个评分细则一起使用", file=sys.stderr)
        return 2
    failed = 0
    for params in args.params:
        try:
            loaded, data = load(params, args.data)
            from .engine import score

            score(loaded.rubric, data, loaded.path)
        except KaoheError as exc:
            _print_problems(exc)
            failed += 1
            continue
        rows = "，".join(f"{k} {v} 行" for k, v in row_accounting(data).items())
        print(f"通过：{loaded.path}（{data.directory}：{rows}）")
    return 1 if failed else 0


def cmd_score(args: argparse.Namespace) -> int:
    try:
        result = run(args.params, args.data)
    except KaoheError as exc:
        _print_problems(exc)
        return 1
    write_scores(result, args.out)
    rows = row_accounting(result.data)
    read = sum(rows.values())
    r = result.loaded.rubric
    print(f"{r.title}：{len(result.scores.totals)} 个单位已计分，结果写入 {args.out}")
    print(f"读取 {read} 行 = 使用 {read} 行 + 拒绝 0 行（"
          + "，".join(f"{k} {v}" for k, v in rows.items()) + "）")
    if result.data.sample:
        print("注意：本数据为示例数据，非真实考核数据。")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"validate": cmd_validate, "score": cmd_score}[args.command]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
