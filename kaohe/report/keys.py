"""Build keys: when a report can be kept from the previous build.

A page's key is a SHA-256 over everything its HTML is made from:

- the code: every file of the ``kaohe`` package (modules, templates, stylesheet) and the
  name and version of every installed distribution (``code_fingerprint``);
- what its notebook runs (``notebook_digest``: code cells' sources and tags, not the file's
  bytes, so opening and saving it in JupyterLab keeps every page), its parameters and the
  page resources (title, links);
- the data it reads: for a unit report, the digest of its unit view
  (``kaohe.report.views``); for a bulletin, the bytes of every score table.

A scheme-year is scored again only when its ``inputs_key`` changes: the code, every rubric
of its scheme folder and every file under its scheme's data folder (earlier years feed the
trend and the two-year rules, periods feed the year).

Keys and digests are kept in ``.kaohe/<scheme>/<key>.json`` under the output directory
(outside the published pages), written after the pages they describe, so a page recorded
there is always the page of that key.
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import KaoheError, Problem, display_path

PACKAGE = Path(__file__).resolve().parents[1]  # kaohe/
# Files of the package that make reports (bytecode caches are not).
_CODE_SUFFIXES = {".py", ".j2", ".css", ".tpl", ".json", ".html", ".otf", ".typ"}


def _file_digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@cache
def code_fingerprint() -> str:
    """The package's files and the installed distributions' versions, hashed."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in _CODE_SUFFIXES and "__pycache__" not in path.parts:
            h.update(path.relative_to(PACKAGE).as_posix().encode())
            h.update(_file_digest(path).encode())
    h.update(json.dumps(installed()).encode())
    return h.hexdigest()


def installed() -> list[tuple[str, str]]:
    """(name, version) of every installed distribution, the first on ``sys.path`` winning as
    in imports. Read from the names of the ``name-version.dist-info`` folders: parsing every
    distribution's METADATA took a no-change rebuild 0.4 s; other kinds of metadata (egg-info)
    are read."""
    found: dict[str, str] = {}
    for entry in sys.path:
        base = Path(entry or ".")
        if not base.is_dir():
            continue
        for info in sorted(base.iterdir()):
            if info.suffix == ".dist-info" and "-" in info.stem:
                name, _, version = info.stem.rpartition("-")
            elif info.suffix == ".egg-info":
                dist = metadata.Distribution.at(info)
                name, version = dist.metadata["Name"] or info.stem, dist.version
            else:
                continue
            found.setdefault(name.lower().replace("_", "-").replace(".", "-"), version)
    return sorted(found.items())


def notebook_digest(path: Path) -> str:
    """What a report notebook runs: its code cells' sources and tags, in order.

    Outputs, execution counts, cell ids, markdown notes (not part of a page) and the metadata
    JupyterLab writes on save change no page, so they do not change a page's key: saving a
    notebook after running it in JupyterLab renders nothing again."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [{"source": _text(c.get("source", "")),
                  "tags": list(c.get("metadata", {}).get("tags", []))}
                 for c in nb["cells"] if c.get("cell_type") == "code"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise KaoheError([Problem(display_path(path), "", "",
                                  "报告笔记本无法读取：不是有效的 Jupyter 笔记本")]) from None
    doc = json.dumps(cells, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()


def _text(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def files_digest(paths: list[Path], root: Path | None = None) -> str:
    """Names (relative to ``root``) and contents of ``paths``, in sorted order."""
    h = hashlib.sha256()
    for p in sorted(paths):
        name = p.relative_to(root).as_posix() if root else p.name
        h.update(name.encode() + b"\0" + _file_digest(p).encode())
    return h.hexdigest()


def inputs_key(params: Path, data_dir: Path) -> str:
    """What a scheme-year's scores depend on (see the module docstring)."""
    rubrics = sorted(params.resolve().parent.glob("*.yaml"))
    data_root = data_dir.resolve().parent
    data = sorted(p for p in data_root.rglob("*") if p.is_file()) if data_root.is_dir() else []
    return hashlib.sha256("\0".join([
        code_fingerprint(), files_digest(rubrics), files_digest(data, data_root)]).encode()
    ).hexdigest()


def page_key(notebook_sha: str, parameters: dict[str, Any], resources: dict[str, Any],
             data_digest: str) -> str:
    """A page's key from its notebook's digest, parameters, resources and data digest."""
    doc = json.dumps({"code": code_fingerprint(), "notebook": notebook_sha,
                      "parameters": parameters, "resources": resources, "data": data_digest},
                     ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()


def read_state(path: Path) -> dict[str, Any]:
    """The previous build's record for a scheme-year (empty when none or unreadable)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def state_text(state: dict[str, Any]) -> str:
    return json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
