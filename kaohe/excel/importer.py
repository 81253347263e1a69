"""``kaohe import``: filled templates and plain CSVs into the scheme-year's data directory.

Every row is read by the rules of ``kaohe.normalize`` (with a note for each change) and
checked against the rubric and units: the unit exists, the indicator is one this file may
carry (an indicator of the template's department), the item or event type is one the rule
knows, the value is in range, the indicator applies to the unit, an event has its
description. Rows sent twice are found in one file or across files and both places named.
Rows already in the data directory are never replaced without ``force``; with it, the old
file is copied to ``replaced/<time>/`` first. One problem anywhere and nothing is written.

The accounting is printed in every case: rows read = rows used + rows rejected.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..dataset import default_data_dir, read_csv_text, read_table
from ..errors import KaoheError, Problem, display_path
from ..rubric import LoadedRubric, load_rubric
from ..schemas import TABLES, columns_of
from .checks import Clean, check_row, context, duplicates
from .reader import IMPORTABLE, read_files
from .template import read_units

REPLACED_DIR = "replaced"


@dataclass(frozen=True)
class Account:
    """Rows of one file (or sheet): read = used + rejected."""

    file: str
    read: int
    rejected: int

    @property
    def used(self) -> int:
        return self.read - self.rejected


@dataclass
class Imported:
    """What an import did or would have done."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    written: list[tuple[Path, int, int]] = field(default_factory=list)  # file, added, replaced
    backups: list[Path] = field(default_factory=list)
    directory: str = ""
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0  # rows re-sent exactly as the data directory has them
    returned: list[dict] = field(default_factory=list)  # rows added to returns.csv

    @property
    def read(self) -> int:
        return sum(a.read for a in self.accounts)

    @property
    def rejected(self) -> int:
        return sum(a.rejected for a in self.accounts)

    @property
    def used(self) -> int:
        return self.read - self.rejected


# -- rows already in the data directory ------------------------------------------------------


def conflict_key(table: str, values: dict) -> tuple:
    """What counts as 'already there': for observations the same unit, indicator, rater and
    item; for events and 缺项 the same unit and indicator (an import brings every event of a
    unit for an indicator, so an event list is replaced as a whole)."""
    if table == "observations":
        return (values.get("unit_id") or "", values["indicator_id"], values.get("source") or "",
                values.get("item") or "")
    return (values.get("unit_id") or "", values["indicator_id"])


# -- the data directory -----------------------------------------------------------------------


@dataclass
class Existing:
    """A data file already in the directory, as text rows, with how it was encoded."""

    path: Path
    header: list[str]
    rows: list[dict[str, str]]  # text cells as written (trimmed)
    lines: list[int]
    bom: bool = True
    recoded: bool = False


def _existing(directory: Path, table: str) -> tuple[Existing, list[Problem]]:
    path = directory / TABLES[table].file
    cols = columns_of(TABLES[table].model)
    if not path.exists():
        return Existing(path, cols, [], [], bom=True), []
    _, _, problems = read_table(directory, table)
    if problems:
        return Existing(path, cols, [], []), [
            Problem(p.file, p.row, p.column, f"数据目录中已有的文件有问题，请先修正：{p.message}")
            for p in problems]
    text = read_csv_text(path, display_path(path))
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        raw.decode("utf-8-sig")
        recoded = False
    except UnicodeDecodeError:
        recoded, bom = True, True
    return Existing(path, list(text.columns), text.to_dict("records"),
                    [int(i) + 2 for i in text.index], bom, recoded), []


def _cell(x: object) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return str(int(x)) if x.is_integer() else repr(x)
    return str(x)


def _write_csv(path: Path, header: list[str], rows: list[dict], bom: bool) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_cell(row.get(c)) for c in header])
    data = buf.getvalue().encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def import_files(params: Path | str, files: Sequence[Path | str], *,
                 data_dir: Path | str | None = None, force: bool = False,
                 now: dt.datetime | None = None,
                 show: Callable[[Imported], None] | None = None) -> Imported:
    """Read, check and (when everything passes) write; the result says what happened.

    Rows re-sent unchanged are counted (``unchanged``) and not written again; rows that
    differ from the data directory's are listed in ``changes`` (before → after) and need
    ``force``; ``show`` is called with them before anything is written. A replaced row keeps
    its line in the file, so references (``observations.csv:12``) stay valid. Every import
    is appended to the audit log, and an accepted one to returns.csv."""
    loaded = load_rubric(params)
    directory = Path(data_dir) if data_dir else default_data_dir(params, loaded.rubric)
    result = Imported(directory=display_path(directory))
    data = read_units(directory)  # raises KaoheError for a missing directory or bad units
    ctx = context(loaded, data)
    got = read_files([Path(f) for f in files], loaded, Path(params).stem)
    result.problems += got.problems
    result.notes += got.notes
    clean: list[Clean] = []
    bad_lines: set[tuple[str, int]] = set()
    for row in got.rows:
        if row.cells.get("_refused"):
            bad_lines.add((row.file, row.line))
            continue
        c, probs, notes = check_row(row, ctx)
        result.notes += notes
        if probs:
            result.problems += probs
            bad_lines.add((row.file, row.line))
        elif c is not None:
            clean.append(c)
    dup = duplicates(clean)
    result.problems += dup
    bad_lines |= {(p.file, int(p.row)) for p in dup}

    existing: dict[str, Existing] = {}
    for table in IMPORTABLE:
        if any(c.table == table for c in clean):
            existing[table], probs = _existing(directory, table)
            result.problems += probs
    replaced: dict[str, set[tuple]] = {}
    index = {table: _lines_by_key(table, ex) for table, ex in existing.items()}
    groups: dict[tuple[str, tuple], list[Clean]] = {}
    for c in clean:
        if c.table in existing:
            groups.setdefault((c.table, conflict_key(c.table, c.values)), []).append(c)
    unchanged: set[int] = set()
    for (table, k), sent in groups.items():
        hits = index[table].get(k, [])
        if not hits:
            continue
        ex = existing[table]
        before = [ex.rows[ex.lines.index(n)] for n in hits]
        if _same(ex.header, before, [c.values for c in sent]):
            unchanged |= {id(c) for c in sent}  # re-sent as it is: 未变, nothing to write
            continue
        change = Change(table, k[0], k[1], _describe(table, before), _describe(
            table, [{h: _cell(c.values.get(h)) for h in ex.header} for c in sent]))
        result.changes.append(change)
        if not force:
            shown = display_path(ex.path)
            where = "、".join(f"{shown}:{n}" for n in hits[:3])
            for c in sent:
                result.problems.append(c.row.at("", f"数据目录中已有该数据（{where}）且不同："
                                                    f"{change.before} → {change.after}；"
                                                    "确需替换请加 --force（原文件将备份）"))
                bad_lines.add((c.row.file, c.row.line))
        else:
            replaced.setdefault(table, set()).add(k)
    result.unchanged = len(unchanged)
    clean = [c for c in clean if id(c) not in unchanged]

    result.accounts = _accounts(files, got.counted, got.refused, bad_lines)
    if result.problems:
        _log_import(result, loaded, directory, files, got, clean, now, refused=True)
        return result
    if show is not None and result.changes:
        show(result)  # before → after, before anything is written
    _write(result, Path(params), directory, clean, existing, replaced, now)
    _log_import(result, loaded, directory, files, got, clean, now, refused=bool(result.problems))
    return result


@dataclass(frozen=True)
class Change:
    """Rows of the data directory an import replaces: unit, indicator, before → after."""

    table: str
    unit_id: str
    indicator_id: str
    before: str
    after: str


def _same(header: list[str], before: list[dict[str, str]], after: list[dict]) -> bool:
    """Whether rows re-sent are the rows already there (as text, in any order)."""
    def key(row: dict) -> tuple:
        return tuple(_norm(row.get(h)) for h in header)
    return sorted(map(key, before)) == sorted(map(key, after))


def _norm(x: object) -> str:
    text = _cell(x)
    try:
        return repr(float(text)) if text.strip() else ""
    except ValueError:
        return text


def _describe(table: str, rows: list[dict]) -> str:
    """Rows as a reader checks them: the value (and note) of an observation, the events."""
    if table == "observations":
        return "；".join(f"{r.get('value', '')}" + (f"（{r['note']}）" if r.get("note") else "")
                        for r in rows) or "（无）"
    return "；".join(f"{r.get('type', '')} {r.get('date', '')} {r.get('value', '') or ''}".strip()
                    for r in rows) or "（无）"


def _lines_by_key(table: str, ex: Existing) -> dict[tuple, list[int]]:
    out: dict[tuple, list[int]] = {}
    for row, line in zip(ex.rows, ex.lines, strict=True):
        out.setdefault(conflict_key(table, _typed(row)), []).append(line)
    return out


def _accounts(files: Sequence[Path | str], counted: dict[str, int], refused: dict[str, int],
              bad_lines: set[tuple[str, int]]) -> list[Account]:
    """Rows read, used and rejected per file or sheet; a file that could not be read at all
    read 0 rows."""
    out = []
    for label, n in counted.items():
        bad = refused.get(label, 0) + sum(1 for f, _ in bad_lines if f == label)
        out.append(Account(label, n, min(n, bad)))
    for f in files:
        shown = display_path(f)
        if not any(a.file == shown or a.file.startswith(shown + "[") for a in out):
            out.append(Account(shown, 0, 0))
    return out


def _typed(row: dict[str, str]) -> dict:
    return {k: (v if v != "" else None) for k, v in row.items()}


def _write(result: Imported, params: Path, directory: Path,
           clean: list[Clean], existing: dict[str, Existing], replaced: dict[str, set[tuple]],
           now: dt.datetime | None) -> None:
    """Write the merged tables after checking the whole directory with them in place."""
    from ..pipeline import load

    merged: dict[str, tuple[Existing, list[dict], int, int]] = {}
    for table, ex in existing.items():
        drop = replaced.get(table, set())
        new = [c.values for c in clean if c.table == table]
        by_key: dict[tuple, list[dict]] = {}
        for v in new:
            by_key.setdefault(conflict_key(table, v), []).append(v)
        rows: list[dict] = []
        for row in ex.rows:  # a replaced row takes the place of the one it replaces
            k = conflict_key(table, _typed(row))
            if k in drop:
                rows += by_key.pop(k, [])
            else:
                rows.append(row)
        rows += [v for vs in by_key.values() for v in vs]
        dropped = sum(conflict_key(table, _typed(r)) in drop for r in ex.rows)
        if new:
            merged[table] = (ex, rows, len(new), dropped)
    with tempfile.TemporaryDirectory(prefix="kaohe-import-") as tmp:
        trial = Path(tmp) / "data"
        shutil.copytree(directory, trial, ignore=shutil.ignore_patterns(REPLACED_DIR))
        for table, (ex, rows, _, _) in merged.items():
            _write_csv(trial / TABLES[table].file, ex.header, rows, ex.bom)
        try:
            load(params, trial)
        except KaoheError as exc:
            shown_tmp = display_path(trial)
            result.problems += [Problem(p.file.replace(shown_tmp, result.directory), p.row,
                                        p.column, p.message) for p in exc.problems]
            return
        backups = _backup_dir(directory, now or dt.datetime.now())
        for table, (ex, _, added, dropped) in merged.items():
            target = directory / TABLES[table].file
            if dropped and target.exists():
                backup = backups / target.name
                backup.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(target, backup)
                result.backups.append(backup)
            if ex.recoded:
                result.notes.append(Problem(display_path(target), "", "",
                                            "原文件为 GB18030 编码，已改存为 UTF-8（带 BOM）"))
            staged = directory / f".{target.name}.kaohe-tmp"
            shutil.copyfile(trial / TABLES[table].file, staged)
            os.replace(staged, target)
            result.written.append((target, added, dropped))


def _log_import(result: Imported, loaded: LoadedRubric, directory: Path,
                files: Sequence[Path | str], got, clean: list[Clean], now: dt.datetime | None,
                refused: bool) -> None:
    """Returns (accepted imports) and the audit log (every import whose files were read)."""
    from ..office import auditlog, returns
    from ..office.tables import OFFICE_TABLES

    if not directory.is_dir():
        return
    owed = returns.owed(loaded.rubric)
    leaf_dept = {leaf.id: dept for dept, leaves in owed.items() for leaf in leaves}
    made: list[dict] = []
    when = returns.received_text(now)
    depts: list[str] = []
    for f in files:
        path = Path(f)
        shown = display_path(path)
        mine = [c for c in clean if c.row.origin == shown or c.row.file == shown]
        counts: dict[str, int] = {}
        for c in mine:
            counts[str(c.values["indicator_id"])] = counts.get(str(c.values["indicator_id"]), 0) + 1
        if shown in got.returns:  # a template: its department returns all its indicators
            dept, ids = got.returns[shown]
            ids = ids or [leaf.id for leaf in owed.get(dept, [])]
            by_dept = {dept: [leaf for leaf in owed.get(dept, []) if leaf.id in ids]}
        else:  # a CSV: the indicators it has rows for, under their departments
            by_dept = {}
            for ind in counts:
                if ind in leaf_dept:
                    by_dept.setdefault(leaf_dept[ind], []).append(
                        next(x for x in owed[leaf_dept[ind]] if x.id == ind))
        depts += [d for d in by_dept if d not in depts]
        if not refused and path.is_file():
            digest = auditlog.file_sha256(path)
            for dept, leaves in by_dept.items():
                # counts of rows the file holds, unchanged ones included
                sent = {leaf.id: sum(1 for row in got.rows if (row.origin == shown or row.file == shown)
                                     and _indicator_of(row) == leaf.id) for leaf in leaves}
                made += returns.return_rows(dept, leaves, path, digest, sent, when)
    if made:
        returns.record(directory, made)
        result.returned = made
    auditlog.append(directory, "import", "refused" if refused else "accepted",
                    files=[Path(f) for f in files], now=now.astimezone() if now else None,
                    counts={"read": result.read, "used": result.used,
                            "rejected": result.rejected, "unchanged": result.unchanged,
                            "replaced": sum(d for _, _, d in result.written)},
                    departments=depts, problems=len(result.problems),
                    changes=[c.__dict__ for c in result.changes] if not refused else [],
                    returns_file=OFFICE_TABLES["returns"].file if made else "")


def _indicator_of(row) -> str:
    return str(row.indicator or row.cells.get("indicator_id") or "")


def _backup_dir(directory: Path, now: dt.datetime) -> Path:
    """``replaced/<YYYYmmdd-HHMMSS>/`` in the data directory, never one used before."""
    base = directory / REPLACED_DIR / now.strftime("%Y%m%d-%H%M%S")
    path, n = base, 2
    while path.exists():
        path, n = base.with_name(f"{base.name}-{n}"), n + 1
    return path


__all__ = ["Imported", "Account", "import_files"]
