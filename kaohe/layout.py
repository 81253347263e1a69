"""Where a scheme-year's files are, in one place: its rubric, its data directory, and the
rubrics beside it that it reads (earlier years, periods) with their data.

The repository lays a scheme out as ``params/<scheme>/<stem>.yaml`` and
``data/<scheme>/<stem>/`` (stems ``2021``, ``2021-Q1`` …). A rubric read with its default
data finds its siblings' data there; a rubric read with ``--data DIR`` finds them beside
``DIR``, by stem (``DIR/../2021-Q1``), so a copy of a year is scored from the copy alone,
never half from the bundled data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


def default_data_dir(params: Path | str, scheme: str) -> Path:
    """``params/<scheme>/<stem>.yaml`` → ``data/<scheme>/<stem>/`` beside ``params/``."""
    p = Path(params).resolve()
    return p.parent.parent.parent / "data" / scheme / p.stem


@dataclass(frozen=True)
class Place:
    """A rubric file and the data directory it is scored on."""

    params: Path
    data: Path

    @classmethod
    def of(cls, params: Path | str, scheme: str, data: Path | str | None = None) -> Place:
        """The place of a rubric: its given data directory, or its default one."""
        return cls(Path(params), Path(data) if data else default_data_dir(params, scheme))

    def beside(self, stem: str) -> Place:
        """The rubric ``<stem>.yaml`` beside this one, on the data directory ``<stem>``
        beside this one's."""
        return Place(self.params.parent / f"{stem}.yaml", self.data.parent / stem)

    def year_back(self, back: int) -> Place | None:
        """The same rubric ``back`` years earlier (2019.yaml for 2020.yaml, 2021-Q1.yaml for
        2022-Q1.yaml); None for a file not named by its year. It may not exist."""
        m = re.fullmatch(r"(\d{4})(.*)", self.params.stem)
        if not m:
            return None
        return self.beside(f"{int(m.group(1)) - back}{m.group(2)}")

    def earlier(self, years: int) -> list[Place]:
        """The consecutive earlier years whose rubric exists, nearest first, as far back as
        ``years``: a gap ends the run (no run of years spans a gap)."""
        out = []
        for back in range(1, years + 1):
            got = self.year_back(back)
            if got is None or not got.params.exists():
                break
            out.append(got)
        return out

    @property
    def key(self) -> str:
        """Identity of a run: the same rubric on other data is another run."""
        return f"{self.params.resolve()}\0{self.data.resolve()}"


__all__ = ["Place", "default_data_dir"]
