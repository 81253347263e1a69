"""Publication details of a bulletin issued as a 公文 (GB/T 9704-2012): who issues it, its
own 发文字号, to whom, when, who signs, who gets copies, who prints it, its 附件.

A separate block of the rubric (``publication:``; the rubric's ``document:`` already names
the assessment method's own document). Every field may be left out while drafting: a
missing field is a warning in ``kaohe validate`` and a visible 〔待填〕 in the PDF and Word
bulletin, never an error, since the office fills them in only at 审签.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

PENDING = "〔待填〕"  # shown where a publication detail is missing

# Field → its name in the standard, in the order a 公文 shows them.
FIELDS: dict[str, str] = {
    "issuer_mark": "发文机关标志",
    "number": "发文字号",
    "addressees": "主送机关",
    "signatory": "署名（落款）",
    "date": "成文日期",
    "cc": "抄送机关",
    "printer": "印发机关",
    "print_date": "印发日期",
    "attachments": "附件",
}

# Font roles of a 公文 → what an office's own font file replaces.
FONT_ROLES: dict[str, str] = {
    "fangsong": "仿宋（正文，如 仿宋_GB2312）",
    "xiaobiaosong": "小标宋（标题和发文机关标志，如 方正小标宋简体）",
    "heiti": "黑体（一级标题）",
    "kaiti": "楷体（二级标题，如 楷体_GB2312）",
}


class Fonts(BaseModel):
    """An office's own font files (paths relative to the rubric file), used instead of the
    bundled open faces."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fangsong: str = ""
    xiaobiaosong: str = ""
    heiti: str = ""
    kaiti: str = ""

    def resolved(self, base: Path) -> dict[str, Path]:
        """Role → absolute font path, for the roles given."""
        return {role: (base / p).resolve() for role, p in self.model_dump().items() if p}


class Publication(BaseModel):
    """发文信息: what GB/T 9704 needs beyond the bulletin's content."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer_mark: str = ""  # 发文机关标志, e.g. 中共××县委全面深化改革领导小组文件
    number: str = ""  # 发文字号, e.g. ×改组发〔2018〕1号
    addressees: str = ""  # 主送机关
    signatory: str = ""  # 署名 / 落款
    date: dt.date | None = None  # 成文日期
    cc: str = ""  # 抄送机关
    printer: str = ""  # 印发机关
    print_date: dt.date | None = None  # 印发日期
    attachments: list[str] = []  # 附件 titles; the first is the result tables
    fonts: Fonts = Fonts()

    @field_validator("issuer_mark", "number", "addressees", "signatory", "cc", "printer")
    @classmethod
    def _one_line(cls, v: str) -> str:
        if "\n" in v.strip():
            raise ValueError("应为一行文字")
        return v.strip()

    def missing(self) -> list[str]:
        """Names (in Chinese) of the details not given."""
        return [zh for key, zh in FIELDS.items() if not getattr(self, key)]

    def text(self, key: str) -> str:
        """A detail as printed: dates as 2018年3月1日, missing ones as 〔待填〕."""
        value = getattr(self, key)
        if not value:
            return PENDING
        if isinstance(value, dt.date):
            return chinese_date(value)
        return str(value)


def chinese_date(d: dt.date) -> str:
    """GB/T 9704 7.3.5.1: Arabic numerals, year in full, no leading zeros."""
    return f"{d.year}年{d.month}月{d.day}日"


def warnings(publication: Publication | None, base: Path, year: int | None = None) -> list[str]:
    """What ``kaohe validate`` says about the publication details (never errors). ``year``:
    the assessment year, which a bulletin is issued in or after (a rubric copied by
    ``kaohe new-year`` keeps last year's details until the office changes them)."""
    if publication is None:
        return ["未给出发文信息（publication），公文各要素将以“〔待填〕”显示"]
    out = []
    for key in ("date", "print_date"):
        when = getattr(publication, key)
        if year is not None and when is not None and when.year < year:
            out.append(f"{FIELDS[key]} {chinese_date(when)} 早于考核年度 {year} 年，"
                       "是否沿用了上一年度的发文信息？")
    missing = publication.missing()
    if missing:
        out.append("发文信息缺少：" + "、".join(missing) + "（公文中以“〔待填〕”显示）")
    for role, path in publication.fonts.resolved(base).items():
        if not path.is_file():
            out.append(f"字体文件不存在：{path}（{FONT_ROLES[role]}），改用内置字体")
    return out


def printed(publication: Publication | None) -> dict:
    """Every detail as printed, missing ones 〔待填〕 (what the PDF and Word bulletins show)."""
    pub = publication or Publication()
    out: dict = {key: pub.text(key) for key in FIELDS if key != "attachments"}
    out["attachments"] = list(pub.attachments) or [PENDING]
    return out


def annex_mark(attachments: list[str]) -> str:
    """How the first attachment (the result tables) is named: "附件" when it is the only
    one, else "附件1" (GB/T 9704 7.3.4: sequence numbers only when there are several)."""
    return "附件" if len(attachments) <= 1 else "附件1"


def office_fonts(publication: Publication | None, base: Path) -> dict[str, str]:
    """Role → the office's own font file, for the roles given."""
    if publication is None:
        return {}
    return {role: str(p) for role, p in publication.fonts.resolved(base).items()}
