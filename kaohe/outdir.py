"""Output folders written whole or not at all, by one run at a time.

``locked`` holds an exclusive lock on ``<out>/.kaohe/lock`` while a build or a score writes
into ``out``: a second run into the same folder (another checkout, another terminal) is
refused with a message naming the holder, instead of mixing pages of one build with the
record of the other. The lock is an OS file lock, released when the process ends however it
ends, so a killed run never leaves a stale lock.

``staged`` gives a staging folder inside ``out``; when the block ends without an exception
its files are moved into ``out`` together, and files of the same kind that this run did not
write (a table of an earlier run) are removed, so ``out`` holds one run's outputs, never a
mix. The staging folder starts with ``.kaohe-tmp-``: ``kaohe.report.files.sweep`` removes it
after a crash.

``os_problem`` turns an OSError on an output path (a file where a folder should be, a
read-only folder, a full disk) into one located Chinese problem.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import KaoheError, Problem, display_path
from .report.files import TMP_PREFIX

LOCK = ".kaohe/lock"  # in the build records folder (kaohe.report.build.STATE_DIR): never published


@contextmanager
def locked(out: Path | str, command: str) -> Iterator[None]:
    """Hold ``out``'s lock for the block; KaoheError naming the holder if another run has it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK
    path.parent.mkdir(exist_ok=True)
    f = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
    try:
        if not _try_lock(f):
            f.seek(0)
            holder = f.read().strip()
            try:
                who = json.loads(holder)
                text = (f"{who.get('command', '')}（进程 {who.get('pid')}，主机 {who.get('host')}，"
                        f"工作目录 {who.get('cwd')}）")
            except ValueError:
                text = "另一个 kaohe 进程"
            raise KaoheError([Problem(display_path(out), "", "",
                                      f"输出目录正被另一次运行使用：{text}；请等它结束后再运行"
                                      "（同一输出目录同时只能有一次生成）")])
        f.seek(0)
        f.truncate()
        f.write(json.dumps({"command": command, "pid": os.getpid(), "host": socket.gethostname(),
                            "cwd": str(Path.cwd())}, ensure_ascii=False))
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            f.flush()
            _unlock(f)
    finally:
        f.close()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(f) -> bool:
        try:
            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(f) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(f) -> bool:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def _unlock(f) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


@contextmanager
def staged(out: Path | str, own: Iterable[str]) -> Iterator[Path]:
    """A staging folder whose files replace ``out``'s files of the names in ``own`` (file
    names or ``*.suffix`` patterns) when the block succeeds; removed either way."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}stage-", dir=out))
    try:
        yield stage
        made = {p.name for p in stage.iterdir() if p.is_file()}
        for name in sorted(made):
            os.replace(stage / name, out / name)
        for old in out.iterdir():
            if old.is_file() and old.name not in made and _owned(old.name, own):
                old.unlink()
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _owned(name: str, own: Iterable[str]) -> bool:
    return any(name == o or (o.startswith("*") and name.endswith(o[1:])) for o in own)


_ERRNO_ZH = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "磁盘配额已满",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.EROFS: "所在磁盘只读",
    errno.ENOTDIR: "路径中有同名文件，不是文件夹",
    errno.EEXIST: "已有同名文件，不是文件夹",
    errno.ENAMETOOLONG: "路径过长",
}


def os_problem(exc: OSError, out: Path | str) -> Problem:
    """One Chinese line for an OSError while writing into ``out``."""
    what = _ERRNO_ZH.get(exc.errno or 0, exc.strerror or "无法写入")
    where = display_path(exc.filename) if exc.filename else display_path(out)
    return Problem(where, "", "", f"无法写入输出：{what}；输出目录 {display_path(out)} 未改变，"
                   "请换一个输出目录或处理后重试")
