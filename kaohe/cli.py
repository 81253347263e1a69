"""The ``kaohe`` command: thin — parse arguments, call the pipeline, print in Chinese."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from . import __version__, outdir
from .errors import DataError, KaoheError, summary
from .pipeline import OUTPUTS, row_accounting, run, write_scores
from .publication import warnings as publication_warnings
from .rubric import load_rubric

# what ``kaohe score`` writes: files of these names in --out are this command's own
SCORE_OUTPUTS = (*OUTPUTS, "history_used.csv", "results.xlsx", "provenance.json")

EPILOG_VALIDATE = """示例：
  kaohe validate params/changshou-rural/2023.yaml
  kaohe validate params/*/*.yaml
  kaohe validate params/changshou-rural/2024.yaml --rubric-only   （编写中的评分细则，不读数据）
发现问题时逐条列出（文件:行:列: 说明），全部列出后以退出码 1 结束；数据问题较多时先按文件和
责任单位列出问题数。"""

EPILOG_SCORE = """示例：
  kaohe score params/changshou-rural/2023.yaml --out reports/changshou-rural/2023
输出：totals.csv（每个单位的总分、排名、等次）、details.csv（单位×指标的得分与理由）、
reasons.csv（每一处加分扣分及其来源行）、indicators.csv、flags.csv、self_check.csv、
results.xlsx（考核结果表：一级指标及其分项的两级表头、得分明细，两位小数；明细超过 Excel 行数上限时不写）、
provenance.json（评分细则与数据的哈希、版本、提交）。
每次都列出行数核对：读取 N 行 = 使用 N 行 + 拒绝 N 行。"""


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
    v.add_argument("--rubric-only", action="store_true",
                   help="只检查评分细则本身（不读数据，用于编写新年度的评分细则）")

    s = sub.add_parser("score", help="计算得分，写出 totals.csv 和 details.csv",
                       description="按评分细则对全部单位计分，写出结果表。",
                       epilog=EPILOG_SCORE, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("params", type=Path, help="评分细则文件 params/<方案>/<年度>.yaml")
    s.add_argument("--out", type=Path, required=True, help="输出目录")
    s.add_argument("--data", type=Path, default=None,
                   help="数据目录（默认 data/<方案>/<年度>/）；所读分期、往年的数据在其旁按名称查找"
                        "（如 DIR/../2021-Q1）")
    _add_year_parsers(sub)
    _add_build_parser(sub)
    _add_excel_parsers(sub)
    _add_office_parsers(sub)
    return p


SUMMARY_FROM = 10  # a longer list of data problems starts with counts by file and department


def _print_problems(exc: KaoheError) -> None:
    if isinstance(exc, DataError) and len(exc.problems) >= SUMMARY_FROM:
        print("问题分布（按文件和责任单位）：", file=sys.stderr)
        for line in summary(exc.problems):
            print(f"  {line}", file=sys.stderr)
        print("逐条列出：", file=sys.stderr)
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    print(f"共发现 {len(exc.problems)} 个问题。", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    if args.data and len(args.params) > 1:
        print("--data 只能与一个评分细则一起使用", file=sys.stderr)
        return 2
    if args.rubric_only:
        if args.data:
            print("--rubric-only 不读数据，不能与 --data 一起使用", file=sys.stderr)
            return 2
        return _validate_rubrics(args.params)
    failed = 0
    cache: dict = {}  # each rubric scored once, though later years read earlier ones
    for params in args.params:
        _working(f"正在读取、校验 {params} 及其数据（数据量大时需要几十秒）…")
        try:
            # run = load + score, with the period rubrics (and earlier years) it reads
            result = run(params, args.data, cache=cache)
            loaded, data = result.loaded, result.data
        except KaoheError as exc:
            _print_problems(exc)
            failed += 1
            continue
        rows = "，".join(f"{k} {v} 行" for k, v in row_accounting(data).items())
        print(f"通过：{loaded.path}（{data.directory}：{rows}）")
        r = loaded.rubric
        for text in publication_warnings(r.publication, Path(params).parent, r.year):
            print(f"提醒：{loaded.path}: publication: {text}")
    return 1 if failed else 0


def _working(line: str) -> None:
    """On a terminal, say what is being done before a step that can take a while (a
    national year's data); nothing in a pipe or a log."""
    if sys.stderr.isatty():
        print(line, file=sys.stderr, flush=True)


def _validate_rubrics(paths: list[Path]) -> int:
    """Each rubric on its own: keys, values, rules and sums, without its data."""
    failed = 0
    for params in paths:
        try:
            loaded = load_rubric(params)
        except KaoheError as exc:
            _print_problems(exc)
            failed += 1
            continue
        n = len(loaded.rubric.scored_leaves())
        print(f"通过（仅评分细则）：{loaded.path}（{n} 个计分项目；未检查数据）")
    return 1 if failed else 0


def cmd_score(args: argparse.Namespace) -> int:
    _working(f"正在读取、校验 {args.params} 及其数据并计分（数据量大时需要几十秒）…")
    try:
        result = run(args.params, args.data)
    except KaoheError as exc:
        _print_problems(exc)
        _print_refused_accounting(args.params, args.data, exc.problems)
        return 1
    from .excel.layout import EXCEL_ROWS, fits

    excel = fits(result.scores.details)
    try:  # one run at a time; every output replaced together, or none
        with outdir.locked(args.out, "kaohe score"), \
                outdir.staged(args.out, SCORE_OUTPUTS) as stage:
            write_scores(result, stage, excel=excel)
    except KaoheError as exc:
        _print_problems(exc)
        return 1
    except OSError as exc:
        _print_problems(KaoheError([outdir.os_problem(exc, args.out)]))
        return 1
    rows = row_accounting(result.data)
    read = sum(rows.values())
    r = result.loaded.rubric
    print(f"{r.title}：{len(result.scores.totals)} 个单位已计分，结果写入 {args.out}")
    print(f"读取 {read} 行 = 使用 {read} 行 + 拒绝 0 行（"
          + "，".join(f"{k} {v}" for k, v in rows.items()) + "）")
    if not excel:
        print(f"得分明细 {len(result.scores.details)} 行，超过 Excel 工作表的行数上限"
              f"（{EXCEL_ROWS} 行），未写 results.xlsx：全部结果见 totals.csv、details.csv 等 CSV 文件")
    _print_notes(result.data.notes)
    print(f"读取的数据目录：{result.data.directory}")
    if result.earlier:
        years = "、".join(str(e.loaded.rubric.year) for e in result.earlier)
        print(f"往年结果：数据目录无 history.csv，已按 {years} 年度评分细则和数据计算"
              "（见 history_used.csv）：")
        for e in result.earlier:
            print(f"  {e.loaded.rubric.year} 年度：{e.loaded.path}，数据 {e.data.directory}")
    if result.periods:
        stems = "、".join(Path(p.loaded.path).stem for p in result.periods)
        print(f"分期结果：已先按分期评分细则 {stems} 计分：")
        for p in result.periods:
            print(f"  {Path(p.loaded.path).stem}：{p.loaded.path}，数据 {p.data.directory}")
    if result.draft:
        print("草稿（材料未齐）：" + "；".join((result.returns or {})["lacking"])
              + "。结果仅供核对，不能发布（kaohe status 查看详情）。")
    if result.data.sample:
        print("注意：本数据为示例数据，非真实考核数据。")
    return 0


# -- year over year: diff, new-year, robustness --------------------------------------------

EPILOG_DIFF = """示例：
  kaohe diff params/changshou-rural/2023.yaml params/changshou-rural/2024.yaml
按指标编号比对：新增、删除、移动的指标，分值、权重、评分规则及其参数，等次和其他结果规则。
--json 输出结构化记录（kind、section、path、old、new、text）。"""

EPILOG_NEW_YEAR = """示例：
  kaohe new-year params/changshou-rural/2023.yaml 2024
写出 params/changshou-rural/2024.yaml（只改 year: 一行，注释和排版不变）和
data/changshou-rural/2024/（复制 units.csv；observations.csv、events.csv 只有表头；dataset.yaml）。
已有文件不覆盖，除非加 --force。"""

EPILOG_ROBUSTNESS = """示例：
  kaohe robustness params/changshou-rural/2023.yaml --draws 1000 --spread 0.1
每次抽样把各一级指标（--level leaf：各末级指标）的权重乘以 [1-spread, 1+spread] 内的随机数并归一
（满分不变，各单位的指标得分率不变），并在人数取整方式、分数并列跨线的处理中随机选择，
重新排名、定等次、定先进。列出等次或先进名单可能改变的单位；
--out 目录写出 robustness.csv（每个单位的名次区间和各等次概率）和 robustness.json。"""


def _add_year_parsers(sub) -> None:
    from .robustness import DEFAULT_SEED, ROUNDINGS, TIES

    raw = argparse.RawDescriptionHelpFormatter
    d = sub.add_parser("diff", help="比较两份评分细则（如上年与本年）",
                       description="比较两份评分细则，逐条列出变化。", epilog=EPILOG_DIFF,
                       formatter_class=raw)
    d.add_argument("old", type=Path, help="原评分细则，如 params/<方案>/2023.yaml")
    d.add_argument("new", type=Path, help="新评分细则，如 params/<方案>/2024.yaml")
    d.add_argument("--json", action="store_true", help="输出 JSON 记录而不是文字")

    n = sub.add_parser("new-year", help="由本年度评分细则和数据目录创建下一年度的",
                       description="复制评分细则（只改年度）并创建下一年度的数据目录。",
                       epilog=EPILOG_NEW_YEAR, formatter_class=raw)
    n.add_argument("params", type=Path, help="本年度评分细则 params/<方案>/<年度>.yaml")
    n.add_argument("year", type=int, help="新年度，如 2024")
    n.add_argument("--data", type=Path, default=None, help="新数据目录（默认 data/<方案>/<新年度>/）")
    n.add_argument("--force", action="store_true", help="覆盖已有文件")

    r = sub.add_parser("robustness", help="名次稳健性：扰动权重和可选规则后名次、等次的变化",
                       description="蒙特卡洛分析：各单位的名次区间、各等次概率、先进名单是否可能改变。",
                       epilog=EPILOG_ROBUSTNESS, formatter_class=raw)
    r.add_argument("params", type=Path, help="评分细则文件 params/<方案>/<年度>.yaml")
    r.add_argument("--draws", type=int, default=1000, help="抽样次数（默认 1000）")
    r.add_argument("--spread", type=float, default=0.1, help="权重扰动幅度（默认 0.1，即 ±10%%）")
    r.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"随机种子（默认 {DEFAULT_SEED}）")
    r.add_argument("--level", choices=["first", "leaf"], default="first",
                   help="扰动一级指标（first，默认）或末级指标（leaf）的权重")
    r.add_argument("--roundings", default=",".join(ROUNDINGS),
                   help="抽取的人数取整方式，逗号分隔；rubric 表示按评分细则（默认全部）")
    r.add_argument("--ties", default=",".join(TIES),
                   help="抽取的并列跨线处理（higher,lower）；rubric 表示按评分细则（默认全部）")
    r.add_argument("--out", type=Path, default=None, help="输出目录（写出 robustness.csv/json）")
    r.add_argument("--data", type=Path, default=None, help="数据目录（默认 data/<方案>/<年度>/）")


def cmd_diff(args: argparse.Namespace) -> int:
    import json

    from .diff import diff_rubrics, format_changes
    from .rubric import load_rubric

    old, new = load_rubric(args.old), load_rubric(args.new)
    changes = diff_rubrics(old.rubric, new.rubric)
    if args.json:
        print(json.dumps([c.as_dict() for c in changes], ensure_ascii=False, indent=2))
    else:
        print(format_changes(changes, f"{old.path}（{old.rubric.year}年度）",
                             f"{new.path}（{new.rubric.year}年度）"))
    return 0


def cmd_new_year(args: argparse.Namespace) -> int:
    from .errors import display_path
    from .newyear import new_year

    made = new_year(args.params, args.year, force=args.force, data_dir=args.data)
    print(f"已创建{args.year}年度评分细则和数据目录：")
    for path in made.written:
        print(f"  {display_path(path)}")
    if made.templates:
        print(f"已生成{len(made.templates)}个 Excel 填报模板：")
        for path in made.templates:
            print(f"  {display_path(path)}")
    if made.reminders:
        print("以下各行仍含原年度，请按新文件核对修改：")
        for line in made.reminders:
            print(f"  {line}")
    if made.source_sample:
        print("注意：单位名单复制自示例数据目录，请按实际情况核对。")
    print(f"修改评分细则后，可用 kaohe diff {display_path(args.params)} "
          f"{display_path(made.rubric)} 核对全部变化。")
    return 0


def cmd_robustness(args: argparse.Namespace) -> int:
    from .engine import applicability
    from .robustness import format_report, rank_robustness, write_robustness

    def options(text: str) -> list[str] | None:
        return None if text.strip() == "rubric" else [x.strip() for x in text.split(",") if x.strip()]

    result = run(args.params, args.data)
    rubric = result.loaded.rubric
    try:
        rob = rank_robustness(result.scores, draws=args.draws, spread=args.spread, seed=args.seed,
                              level=args.level, roundings=options(args.roundings),
                              ties=options(args.ties),
                              applicable=applicability(rubric, result.data))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(format_report(rob, rubric.title))
    if args.out:
        write_robustness(rob, args.out, result.provenance)
        print(f"结果写入 {args.out}（robustness.csv、robustness.json）")
    if result.data.sample:
        print("注意：本数据为示例数据，非真实考核数据。")
    return 0


# -- reports: build ------------------------------------------------------------------------

EPILOG_BUILD = """示例：
  kaohe build params/*/*.yaml --out reports/
  kaohe build params/changshou-rural/2023.yaml --out reports/ --units fengcheng,yanjia
  kaohe build params/*/*.yaml --out reports/ --executor dask --scheduler tcp://10.0.0.1:8786
增量生成：输入（评分细则、数据、笔记本、kaohe 及依赖版本）未变的报告不重新生成；--force 全部重新生成。
出错的报告不影响其他报告，出错的笔记本保存在 <方案>/<年度>/failed/ 下，最后列出全部出错项，退出码 1。
输出：reports/index.html（全部报告）、reports/<方案>/<年度>/index.html、bulletin.html（通报）、
units/<单位>.html（反馈）、data/（得分表和 provenance.json）、reports/static/kaohe.css；
打印版：bulletin.pdf（GB/T 9704 公文格式）、units/<单位>.pdf、bulletin.docx（可编辑的通报 Word 稿）、
rubric.docx 和 rubric.xlsx（考核指标体系附件）。"""


def _add_build_parser(sub) -> None:
    from .report.worker import RESTART_EVERY

    b = sub.add_parser("build", help="生成考核结果通报和各单位反馈报告（HTML）",
                       description="对每个评分细则计分一次，生成考核结果通报、各单位考核结果反馈"
                                   "和索引页（HTML，不含代码）。",
                       epilog=EPILOG_BUILD, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("params", nargs="+", type=Path, help="评分细则文件 params/<方案>/<年度>.yaml")
    b.add_argument("--out", type=Path, required=True, help="输出目录（如 reports/）")
    b.add_argument("--units", default=None,
                   help="只生成这些单位的反馈报告（逗号分隔的 unit_id）；通报总是生成")
    b.add_argument("--notebooks", type=Path, default=None, help="报告笔记本目录（默认 notebooks/）")
    b.add_argument("--jobs", type=int, default=None,
                   help="同时生成的报告数（工作进程数，默认等于 CPU 核数；1 为逐份生成）")
    b.add_argument("--fresh-kernels", action="store_true",
                   help="每份报告启动新的内核（审计用；默认每个工作进程复用一个内核，每份报告后重置）")
    b.add_argument("--restart-every", type=int, default=RESTART_EVERY, metavar="N",
                   help=f"复用的内核每生成 N 份报告重启一次（默认 {RESTART_EVERY}）")
    b.add_argument("--force", action="store_true", help="忽略上次生成的记录，全部重新生成")
    b.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local：本机工作进程（默认）；dask：Dask 集群（须 --scheduler）")
    b.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask 调度器地址，如 tcp://10.0.0.1:8786（各节点须以相同路径访问项目文件）")
    b.add_argument("--batch", type=int, default=None, metavar="N",
                   help="Dask 每个任务生成的报告数（默认 20）")
    b.add_argument("--pdf", action=argparse.BooleanOptionalAction, default=True,
                   help="同时生成打印版（PDF，通报按 GB/T 9704 公文格式）、通报 Word 稿和考核指标体系附件"
                        "（默认生成；--no-pdf 只生成网页）")
    b.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="显示进度条（默认仅在终端中显示；否则每 10 秒输出一行进度）")


def cmd_build(args: argparse.Namespace) -> int:
    import time

    from .report.build import build

    started = time.monotonic()
    units = [u.strip() for u in args.units.split(",") if u.strip()] if args.units else None
    try:
        result = build(args.params, args.out, notebooks=args.notebooks, units=units,
                       jobs=args.jobs, fresh_kernels=args.fresh_kernels,
                       restart_every=args.restart_every, executor=args.executor,
                       scheduler=args.scheduler, batch=args.batch, force=args.force,
                       progress=args.progress, pdf=args.pdf,
                       log=lambda line: print(line, flush=True))
    except KaoheError as exc:
        _print_problems(exc)
        return 1
    except OSError as exc:
        _print_problems(KaoheError([outdir.os_problem(exc, args.out)]))
        return 1
    print(f"共 {result.reports} 份报告（通报 {result.bulletins} 份，单位反馈 {result.units} 份）："
          f"本次生成 {result.rendered} 份，未变沿用 {result.kept} 份；写入 {args.out}，"
          f"用时 {time.monotonic() - started:.1f} 秒；从 {args.out / 'index.html'} 打开。")
    if result.sample:
        print("注意：报告由示例数据生成，非真实考核结果。")
    return 0


# -- data from the field: Excel templates out, filled templates in -----------------------------

EPILOG_TEMPLATE = """示例：
  kaohe template params/changshou-rural/2023.yaml --out templates/changshou-rural/2023
每个责任单位（评分细则中的 department）一个 .xlsx：被考核单位和该单位负责的指标，
满分和评分规则，下拉选项和数值范围校验，填报说明；只有黄色单元格可以填写。
单位名单取自数据目录的 units.csv（默认 data/<方案>/<年度>/）。
模板记录各指标的分值、评分规则和参数；此后修改了这些内容的指标，其旧模板导入时被拒绝。"""

EPILOG_IMPORT = """示例：
  kaohe import params/changshou-rural/2023.yaml 填好的模板/*.xlsx
  kaohe import params/changshou-rural/2023.yaml observations.csv
逐行校验后写入数据目录的 observations.csv、events.csv、not_applicable.csv；
有任何问题则全部不写入，逐条列出（文件[工作表]:行:列: 单元格：说明），退出码 1。
与数据目录中相同的行报告“未变”，不重复写入；不同的行列出原值 → 新值，须加 --force 才替换
（原文件先备份到 replaced/<时间>/；替换的行留在原来的行号）。
模板生成后其指标的分值、评分规则或参数已修改的，拒绝导入并说明改了什么。
导入成功后记入 returns.csv（材料报送），每次导入（含被拒绝的）记入 audit.jsonl。
每次都列出行数核对：读取 N 行 = 使用 N 行 + 拒绝 N 行。"""


def _add_excel_parsers(sub) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    t = sub.add_parser("template", help="为每个责任单位生成 Excel 填报模板",
                       description="按评分细则的责任单位生成 Excel 填报模板（每个单位一个文件）。",
                       epilog=EPILOG_TEMPLATE, formatter_class=raw)
    t.add_argument("params", type=Path, help="评分细则文件 params/<方案>/<年度>.yaml")
    t.add_argument("--out", type=Path, required=True, help="模板输出目录")
    t.add_argument("--data", type=Path, default=None, help="数据目录（默认 data/<方案>/<年度>/）")

    i = sub.add_parser("import", help="导入填好的模板或 CSV 到数据目录（逐行校验）",
                       description="导入填好的 Excel 模板和 CSV，校验后写入本年度数据目录。",
                       epilog=EPILOG_IMPORT, formatter_class=raw)
    i.add_argument("params", type=Path, help="评分细则文件 params/<方案>/<年度>.yaml")
    i.add_argument("files", nargs="+", type=Path, help="填好的模板（.xlsx）或 CSV 文件")
    i.add_argument("--data", type=Path, default=None, help="数据目录（默认 data/<方案>/<年度>/）")
    i.add_argument("--force", action="store_true",
                   help="替换数据目录中已有的同一数据（原文件先备份）")


def cmd_template(args: argparse.Namespace) -> int:
    from .errors import display_path
    from .excel.template import write_templates

    written = write_templates(args.params, args.out, args.data)
    print(f"已生成 {len(written)} 个填报模板，写入 {args.out}：")
    for w in written:
        events = f"，事件表 {w.event_sheets} 张" if w.event_sheets else ""
        print(f"  {display_path(w.path)}（{w.department}：数据 {w.rows} 行{events}）")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .errors import display_path
    from .excel.importer import import_files

    try:
        result = import_files(args.params, args.files, data_dir=args.data, force=args.force,
                              show=_print_changes)
    except KaoheError as exc:
        _print_problems(exc)
        print(f"读取 0 行 = 使用 0 行 + 拒绝 0 行（{len(args.files)} 个文件未读取）")
        return 1
    _print_notes(result.notes)
    if result.problems:
        _print_problems(KaoheError(result.problems))
    print(f"读取 {result.read} 行 = 使用 {result.used} 行 + 拒绝 {result.rejected} 行")
    for a in result.accounts:
        print(f"  {a.file}：读取 {a.read} 行 = 使用 {a.used} 行 + 拒绝 {a.rejected} 行")
    if result.unchanged:
        print(f"未变：{result.unchanged} 行与数据目录中的相同，未重复写入。")
    if result.problems:
        print(f"有问题，未写入任何数据（数据目录 {result.directory} 不变）。")
        return 1
    _print_returned(result.returned)
    if not result.written:
        print("没有新的或修改的数据行，数据文件未改动。" if result.unchanged
              else "没有可导入的数据行，未写入任何数据。")
        return 0
    for path, added, dropped in result.written:
        more = f"，替换原有 {dropped} 行" if dropped else ""
        print(f"已写入 {display_path(path)}：导入 {added} 行{more}")
    for backup in result.backups:
        print(f"被替换的原文件已备份：{display_path(backup)}")
    return 0


def _print_changes(result) -> None:
    """Rows an import replaces, before → after (printed before anything is written)."""
    print(f"与数据目录中已有数据不同的 {len(result.changes)} 处（单位、指标：原值 → 新值）：")
    for c in result.changes:
        print(f"  {c.unit_id or '（事项）'}、{c.indicator_id}：{c.before} → {c.after}")


def _print_returned(rows: list[dict]) -> None:
    if not rows:
        return
    depts = list(dict.fromkeys(r["department"] for r in rows))
    none = [r["indicator_id"] for r in rows if r["none_to_report"]]
    print(f"已记录报送（returns.csv）：{'、'.join(depts)}，{len(rows)} 个指标"
          + (f"（其中 {'、'.join(none)} 确认无相关情形）" if none else ""))


def _print_notes(notes) -> None:
    """Cells read by a normalisation rule: listed, so nothing is changed silently."""
    if not notes:
        return
    print(f"已按规则处理 {len(notes)} 处（请核对，规则见 docs/bad-inputs.md）：")
    for note in sorted(set(notes), key=str):
        print(f"  {note}")


def _print_refused_accounting(params: Path, data: Path | None, problems) -> None:
    """The row accounting of a refused score: rows read = rows used + rows rejected."""
    from .dataset import default_data_dir, row_account
    from .rubric import load_rubric

    try:
        loaded = load_rubric(params)
    except KaoheError:
        print("读取 0 行 = 使用 0 行 + 拒绝 0 行（评分细则有问题，未读取数据）")
        return
    directory = Path(data) if data else default_data_dir(params, loaded.rubric)
    counts = row_account(directory, problems)
    read = sum(n for n, _ in counts.values())
    rejected = sum(r for _, r in counts.values())
    detail = "，".join(f"{k} {n}（拒绝 {r}）" for k, (n, r) in counts.items())
    print(f"读取 {read} 行 = 使用 {read - rejected} 行 + 拒绝 {rejected} 行"
          + (f"（{detail}）" if detail else "") + "；有问题，未计分")


# -- the office's year: returns, publication, verification ------------------------------------

EPILOG_STATUS = """示例：
  kaohe status params/changshou-rural/2024.yaml
按责任单位和指标列出报送状态：已报送、未报送、已过期（按修改前的评分细则报送）、被拒绝（导入未通过），
最后列出本年度仍缺的材料。材料未齐时退出码 1（计分可以进行，报告标注草稿；不能发布）。"""

EPILOG_PUBLISH = """示例：
  kaohe publish params/changshou-rural/2024.yaml --out published/
  kaohe publish params/changshou-rural/2024.yaml --out published/ --note "据申诉复核更正双龙镇r10"
写出 published/<方案>/<年度>/v<N>/：全部报告页面、得分表、results.xlsx、评分细则、数据目录、
manifest.json（每个文件的 SHA-256、版本、代码提交、发布时间）。已发布的版本不再修改。
第二版起附更正通知（correction.html、correction.csv：哪些单位的总分、名次、等次、名单有变化，前后对比和原因）。
校验未通过、材料未齐或已采纳的申诉未改数据时拒绝发布（退出码 1，列出全部原因）。"""

EPILOG_VERIFY = """示例：
  kaohe verify published/changshou-rural/2024/v1
逐个核对文件的 SHA-256，并按归档的评分细则和数据重新计分、与归档的得分表逐字节比对。
一致时输出“一致”；否则列出每个不一致的文件或数字，退出码 1。"""


def _add_office_parsers(sub) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    st = sub.add_parser("status", help="材料报送情况：各责任单位、各指标已报送或尚缺",
                        description="列出本年度各责任单位的材料报送情况和仍缺的材料。",
                        epilog=EPILOG_STATUS, formatter_class=raw)
    st.add_argument("params", type=Path, help="评分细则文件 params/<方案>/<年度>.yaml")
    st.add_argument("--data", type=Path, default=None, help="数据目录（默认 data/<方案>/<年度>/）")

    pb = sub.add_parser("publish", help="发布：冻结一个带编号和日期的结果版本",
                        description="生成并冻结本年度考核结果的一个版本（页面、得分表、评分细则、数据、清单）。",
                        epilog=EPILOG_PUBLISH, formatter_class=raw)
    pb.add_argument("params", type=Path, help="评分细则文件 params/<方案>/<年度>.yaml")
    pb.add_argument("--out", type=Path, required=True, help="发布目录（如 published/）")
    pb.add_argument("--note", default="", help="本版本的说明（更正时写明原因）")
    pb.add_argument("--data", type=Path, default=None, help="数据目录（默认 data/<方案>/<年度>/）")
    pb.add_argument("--jobs", type=int, default=None, help="同时生成的报告数（默认等于 CPU 核数）")

    vf = sub.add_parser("verify", help="核验已发布的版本：文件哈希和重新计分",
                        description="核对发布版本的每个文件和得分表。",
                        epilog=EPILOG_VERIFY, formatter_class=raw)
    vf.add_argument("version", type=Path, help="发布版本目录 <发布目录>/<方案>/<年度>/v<N>")


def cmd_status(args: argparse.Namespace) -> int:
    from .dataset import default_data_dir
    from .office.returns import format_status, status
    from .rubric import load_rubric

    loaded = load_rubric(args.params)
    directory = args.data or default_data_dir(args.params, loaded.rubric)
    st = status(loaded.rubric, directory)
    print(format_status(st, loaded.rubric.title, directory))
    return 0 if st.complete else 1


def cmd_publish(args: argparse.Namespace) -> int:
    from .errors import display_path
    from .office.publish import publish

    try:
        done = publish(args.params, args.out, note=args.note, data_dir=args.data,
                       jobs=args.jobs, log=lambda line: print(line, flush=True))
    except KaoheError as exc:
        print("不能发布：", file=sys.stderr)
        _print_problems(exc)
        return 1
    m = done.manifest
    print(f"已发布第{done.version}版：{display_path(done.path)}（{m['published_at']}，"
          f"{len(m['files'])} 个文件，清单 manifest.json）")
    if done.version > 1:
        units = sorted(set(done.correction["unit_id"]))
        print(f"更正第{done.version - 1}版：{len(units)} 个单位的结果有变化"
              + (f"（{'、'.join(units)}）" if units else "")
              + f"，见 {display_path(done.path / 'correction.html')}")
    if m.get("sample_data"):
        print("注意：本版本由示例数据生成，非真实考核结果。")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .office.verify import verify

    got = verify(args.version)
    if got.ok:
        print(f"一致：{args.version}（{got.files} 个文件的 SHA-256 与清单相符，"
              f"重新计分的 {got.tables} 个得分表与归档一致）")
        return 0
    for p in got.differences:
        print(p, file=sys.stderr)
    print(f"不一致：{len(got.differences)} 处（见上）。", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"validate": cmd_validate, "score": cmd_score, "diff": cmd_diff,
               "new-year": cmd_new_year, "robustness": cmd_robustness, "build": cmd_build,
               "template": cmd_template, "import": cmd_import, "status": cmd_status,
               "publish": cmd_publish, "verify": cmd_verify}[args.command]
    try:
        return handler(args)
    except KaoheError as exc:  # what a command refuses: its problems, one a line, exit 1
        _print_problems(exc)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: one line, no traceback from any process
        print(INTERRUPTED.get(args.command, INTERRUPTED[""]), file=sys.stderr, flush=True)
        _quiet_exit()
        return 130


def entry() -> None:
    """The ``kaohe`` command and ``python -m kaohe``: ``main`` in a process of its own.

    What the imports made lives as long as the process, and so do a command's results once
    written: ``gc.freeze`` keeps both out of the garbage collector's scans, during the run
    and in the full collections Python makes while it shuts down (with pandas and pandera
    imported those cost 0.2–0.3 s on every command, more after a national year). Objects
    are still freed by their reference counts; only ``main`` called in a long-lived
    process (the tests) keeps the collector as it is."""
    gc.freeze()
    code = main()
    gc.freeze()
    sys.exit(code)


def _quiet_exit() -> None:
    """After Ctrl-C, what this process would still print while it stops (an interrupted
    kernel's pending tasks, asyncio's "exception was never retrieved") goes nowhere: the
    user has had the one line that matters."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stderr.fileno())
    except (OSError, ValueError):  # no real stderr (embedded, captured): nothing to quiet
        pass


INTERRUPTED = {
    "build": "已中断（Ctrl-C）：已生成的报告完整保留，未完成的没有写入；再次运行同一命令即可补齐",
    "score": "已中断（Ctrl-C）：输出目录未改变",
    "import": "已中断（Ctrl-C）：数据目录未改变",
    "": "已中断（Ctrl-C）：未写入任何文件",
}


if __name__ == "__main__":
    entry()
