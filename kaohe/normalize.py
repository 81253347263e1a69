"""How a cell from the field is read: documented normalisation rules, each with a warning.

Departments fill templates by hand, paste from other sheets, type on Chinese input methods
and save CSVs from Excel. A cell is either read by one of the rules below, and the user is
told what was changed (``Normalised.notes``), or refused with a ``CellError`` whose message
says what is wrong and what to write instead. Nothing is changed silently.

Rules (``docs/bad-inputs.md`` lists them with the cases that exercise them):

- text: leading and trailing blanks (spaces, full-width spaces U+3000, no-break spaces,
  tabs, line breaks) are trimmed;
- numbers: full-width digits and signs (９８，－１，４．５) and the ideographic full stop used as a
  decimal point (４。５) become ASCII; thousands separators (1,234.5) are removed; a trailing
  percent sign is read by what the indicator expects (``ValueSpec.percent``): a rate (0–1)
  takes 85% as 0.85, an indicator kept in percent (``percent: true``) takes it as 85,
  anything else refuses it; words for met / not met (是、否、达到、未达到、√、×) become 1 / 0
  where only 1 or 0 is allowed; infinities, NaN, dates, booleans and other text are refused;
- dates: an Excel date cell becomes an ISO date (2023-06-12) silently (that is what it is);
  a bare Excel serial number (45089) and the common written forms (2023/6/12, 2023.6.12,
  2023年6月12日) become ISO dates with a note; other text is kept as written (dates are
  recorded, never scored);
- unit names: compared by a key that ignores blanks anywhere, full-width/half-width forms
  and traditional characters (only those occurring in the bundled unit names, ``TRADITIONAL``);
  a name that matches only by key is read as the listed name with a note; a name that matches
  nothing is refused with the closest names as a suggestion.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

BLANKS = " \t\r\n\u3000\u00a0\ufeff"
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EXCEL_SERIAL_RANGE = (1, 2958465)  # 1900-01-01 … 9999-12-31 as Excel numbers them
YES_WORDS = {"是": 1.0, "达到": 1.0, "已达到": 1.0, "完成": 1.0, "√": 1.0, "✓": 1.0,
             "否": 0.0, "未达到": 0.0, "没有达到": 0.0, "未完成": 0.0, "×": 0.0, "✗": 0.0}

# Traditional → simplified, for the characters of the bundled unit names that differ
# (凤城街道 ← 鳳城街道). Pairs "traditional simplified", several traditional forms possible.
_PAIRS = (
    "萬万 與与 業业 東东 兩两 嚴严 臨临 義义 樂乐 喬乔 鄉乡 雲云 倉仓 儀仪 會会 傳传 體体 僑侨 "
    "黨党 蘭兰 關关 興兴 內内 農农 涼凉 鳳凤 劍剑 辦办 務务 區区 華华 協协 衛卫 縣县 雙双 發发 "
    "髮发 敘叙 臺台 檯台 颱台 喚唤 團团 園园 國国 聖圣 場场 壩坝 埡垭 婦妇 寧宁 寶宝 審审 賓宾 "
    "壽寿 爾尔 嶺岭 嶽岳 廣广 莊庄 應应 張张 態态 總总 戰战 開开 權权 術术 楊杨 楓枫 檢检 匯汇 "
    "彙汇 漢汉 溝沟 瀘泸 滸浒 濟济 塗涂 灘滩 灕漓 爐炉 貓猫 環环 電电 監监 蓋盖 盤盘 鹽盐 稅税 "
    "紅红 紀纪 組组 織织 經经 統统 綿绵 編编 緣缘 聯联 勝胜 蒼苍 榮荣 營营 鎣蓥 藺蔺 覺觉 觀观 "
    "計计 設设 訪访 貢贡 財财 質质 貧贫 資资 輪轮 輸输 邊边 達达 運运 連连 鄰邻 鐘钟 鍾钟 錢钱 "
    "銷销 鍋锅 鋒锋 鎮镇 長长 門门 閣阁 閬阆 隊队 陽阳 隴陇 霧雾 順顺 顆颗 驛驿 騎骑 馬马 魚鱼 "
    "鴛鸳 鶴鹤 黃黄 齡龄 龍龙 裏里 裡里 遊游 巖岩"
)
TRADITIONAL: dict[str, str] = {p[0]: p[1] for p in _PAIRS.split()}


class CellError(ValueError):
    """A cell that cannot be read; the message (Chinese) says what to write instead."""


@dataclass(frozen=True)
class Normalised:
    """A value read from a cell and the notes on what was changed to read it."""

    value: Any
    notes: tuple[str, ...] = ()


# -- text -------------------------------------------------------------------------------


def is_blank(value: object) -> bool:
    """None, NaN, or text of blanks only."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip(BLANKS)


def clean_text(value: object) -> Normalised:
    """Text trimmed of blanks at both ends (note when something was trimmed); blank → None.
    Numbers are written as text without float noise (an id typed as 12 is "12")."""
    if is_blank(value):
        return Normalised(None)
    if isinstance(value, bool):
        raise CellError(f"应为文字，实为逻辑值 {str(value).upper()}")
    if isinstance(value, float) and value.is_integer():
        return Normalised(str(int(value)))
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return Normalised(_iso(value))
    text = str(value)
    stripped = text.strip(BLANKS)
    if stripped != text:
        return Normalised(stripped, (f"“{_show(text)}”首尾有空白，已去除",))
    return Normalised(text)


def clean_code(value: object) -> Normalised:
    """An id or code (unit_id, indicator_id, item, type): trimmed, full-width → half-width."""
    got = clean_text(value)
    if got.value is None:
        return got
    folded = to_halfwidth(got.value)
    if folded != got.value:
        return Normalised(folded, got.notes + (f"全角字符已转为半角：“{got.value}”→“{folded}”",))
    return got


def to_halfwidth(text: str) -> str:
    """Full-width ASCII forms (U+FF01–FF5E) and the full-width space → ASCII."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif ch == "\u3000":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _show(text: str) -> str:
    """Text with its invisible blanks made visible, for a note."""
    return text.replace("\u3000", "［全角空格］").replace("\u00a0", " ").replace("\n", "⏎")


# -- numbers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueSpec:
    """What a number cell must hold: bounds, allowed values, how to read a percent sign."""

    what: str = "数值"
    lo: float | None = 0.0
    hi: float | None = None
    hi_is_max: bool = False  # hi is the indicator's full marks (a clearer message)
    choices: tuple[float, ...] = ()
    percent: Literal["rate", "percent"] | None = None
    integer: bool = False

    def words(self) -> str:
        """The allowed values in words, for messages and templates."""
        if self.choices:
            return "或".join(_num(c) for c in self.choices)
        if self.lo is not None and self.hi is not None:
            return f"{_num(self.lo)}～{_num(self.hi)}"
        if self.lo is not None:
            return f"不小于{_num(self.lo)}"
        return "任意数值"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def parse_number(value: object, spec: ValueSpec = ValueSpec()) -> Normalised:
    """A number cell by the rules in the module docstring; blank → None (never 0)."""
    if is_blank(value):
        return Normalised(None)
    if isinstance(value, bool):
        raise CellError(f"应为数字，实为逻辑值 {str(value).upper()}")
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        raise CellError(f"应为数字，实为日期/时间（{_iso(value)}）：Excel 可能把输入当成了日期，"
                        "请把单元格设为“常规”或“数值”后重新输入")
    notes: list[str] = []
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        number = _number_text(str(value), spec, notes)
    if not math.isfinite(number):
        raise CellError(f"应为数字，实为“{value}”")
    if spec.choices:
        if number not in spec.choices:
            raise CellError(f"{spec.what}应为 {spec.words()}，实为 {_num(number)}")
    else:
        if spec.lo is not None and number < spec.lo:
            if spec.lo == 0:
                raise CellError(f"{spec.what}不能为负数，实为 {_num(number)}")
            raise CellError(f"{spec.what}应不小于 {_num(spec.lo)}，实为 {_num(number)}")
        if spec.hi is not None and number > spec.hi + 1e-9:
            if spec.hi_is_max:
                raise CellError(f"{spec.what} {_num(number)} 超过满分 {_num(spec.hi)} 分")
            raise CellError(f"{spec.what}应在 {spec.words()} 之间，实为 {_num(number)}")
    if spec.integer and not number.is_integer():
        raise CellError(f"{spec.what}应为整数，实为 {_num(number)}")
    return Normalised(number, tuple(notes))


def _number_text(raw: str, spec: ValueSpec, notes: list[str]) -> float:
    text = raw.strip(BLANKS)
    if text != raw:
        notes.append(f"“{_show(raw)}”首尾有空白，已去除")
    half = to_halfwidth(text).replace("。", ".").replace("．", ".")
    if half != text:
        notes.append(f"全角字符已转为半角：“{text}”→“{half}”")
    text = half.strip(" ")
    if spec.choices and text in YES_WORDS:
        number = YES_WORDS[text]
        notes.append(f"“{text}”按 {_num(number)} 读取（1=达到，0=未达到）")
        return number
    if _THOUSANDS.fullmatch(text.rstrip("%")):
        plain = text.replace(",", "")
        notes.append(f"千位分隔符已去除：“{text}”→“{plain}”")
        text = plain
    if text.endswith("%"):
        body = text[:-1].strip(" ")
        if not _NUMBER.fullmatch(body):
            raise CellError(f"应为数字，实为“{raw}”")
        if spec.percent == "rate":
            number = float(body) / 100.0
            notes.append(f"百分数“{text}”按比率 {_num(round(number, 12))} 读取")
            return round(number, 12)
        if spec.percent == "percent":
            notes.append(f"百分数“{text}”按 {body} 读取（本项以百分数计）")
            return float(body)
        raise CellError(f"{spec.what}不是比率，不能填百分数“{raw}”：请填数值")
    if not _NUMBER.fullmatch(text):
        raise CellError(f"应为数字，实为“{raw}”")
    return float(text)


# -- dates ------------------------------------------------------------------------------


def _iso(value: dt.date | dt.datetime | dt.time) -> str:
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    return value.isoformat()


def parse_date(value: object) -> Normalised:
    """A date cell: ISO text for dates, with a note when the form was changed; blank → None."""
    if is_blank(value):
        return Normalised(None)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return Normalised(_iso(value))
    if isinstance(value, bool):
        raise CellError(f"应为日期，实为逻辑值 {str(value).upper()}")
    if isinstance(value, (int, float)):
        return _serial_date(float(value), str(value))
    got = clean_text(value)
    text = to_halfwidth(got.value)
    if _ISO_DATE.fullmatch(text):
        _check_date(text, got.value)
        return Normalised(text, got.notes)
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # a serial number saved as text in a CSV
        return _serial_date(float(text), text)
    for form in _DATE_FORMS:
        m = form.fullmatch(text)
        if m:
            iso = f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}"
            _check_date(iso, got.value)
            return Normalised(iso, got.notes + (f"日期“{got.value}”按 {iso} 读取",))
    return got  # free text: dates are recorded, never scored


def _check_date(iso: str, raw: str) -> None:
    try:
        dt.date.fromisoformat(iso)
    except ValueError as exc:
        raise CellError(f"日期“{raw}”不存在") from exc


def _serial_date(number: float, raw: str) -> Normalised:
    lo, hi = EXCEL_SERIAL_RANGE
    if not (math.isfinite(number) and number.is_integer() and lo <= number <= hi):
        raise CellError(f"日期应为日期或“2023-06-12”形式的文字，实为数字 {raw}")
    day = dt.date(1899, 12, 30) + dt.timedelta(days=int(number))  # Excel's 1900 system
    iso = day.isoformat()
    return Normalised(iso, (f"日期以数字 {int(number)} 存储，按 Excel 日期序号读作 {iso}",))


# -- unit names -------------------------------------------------------------------------


def name_key(name: str) -> str:
    """The key names are compared by: no blanks, half-width forms, simplified characters."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(TRADITIONAL.get(ch, ch) for ch in text)
    return "".join(ch for ch in text if not ch.isspace())


@dataclass
class UnitIndex:
    """Units by id and by name key, to resolve what a department wrote about a unit."""

    names: Mapping[str, str]  # unit_id -> name, in units.csv order
    _by_key: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_key = {name_key(n): u for u, n in self.names.items()}

    def by_name(self, value: object) -> Normalised:
        """unit_id of a written unit name; refused with a suggestion when none matches."""
        got = clean_text(value)
        if got.value is None:
            raise CellError("单位名称不能为空")
        text = got.value
        for u, n in self.names.items():
            if n == text:
                return Normalised(u, got.notes)
        found = self._by_key.get(name_key(text))
        if found is not None:
            return Normalised(found, (f"单位名称“{_show(text)}”按“{self.names[found]}”读取"
                                      f"（{_differences(text)}）",))
        raise CellError(f"单位“{text}”不在 units.csv 中{self.suggest(text)}")

    def by_id(self, value: object) -> Normalised:
        """A unit_id as written; a listed unit name in its place is read with a note."""
        got = clean_code(value)
        if got.value is None:
            raise CellError("单位编号不能为空")
        if got.value in self.names:
            return got
        raw = got.value if isinstance(value, str) else str(value)
        u = self._by_key.get(name_key(raw))
        if u is not None:
            return Normalised(u, got.notes + (f"单位编号一栏填的是单位名称“{raw.strip(BLANKS)}”，"
                                              f"按其编号 {u} 读取",))
        raise CellError(f"单位“{got.value}”不在 units.csv 中{self.suggest(got.value)}")

    def suggest(self, text: str) -> str:
        """'（是否为“凤城街道”？）' for the closest listed names or ids, or ''."""
        key = name_key(text)
        names = difflib.get_close_matches(key, list(self._by_key), n=3, cutoff=0.6)
        shown = [self.names[self._by_key[k]] for k in names]
        if not shown:
            shown = difflib.get_close_matches(text, list(self.names), n=3, cutoff=0.6)
        if not shown:
            return ""
        return "（是否为" + "、".join(f"“{s}”" for s in shown) + "？）"


def _differences(written: str) -> str:
    """What separates a written name from the listed one, in words."""
    parts = []
    if any(ch.isspace() for ch in written):
        parts.append("去除空格")
    if any(ch in TRADITIONAL for ch in written):
        parts.append("繁体字改为简体")
    bare = "".join(ch for ch in written if not ch.isspace())
    if unicodedata.normalize("NFKC", bare) != bare:
        parts.append("全角/半角统一")
    return "、".join(parts) or "写法统一"


def suggest(text: str, choices: Iterable[str]) -> str:
    """'（是否为“r01”？）' for the closest of ``choices``, or ''."""
    close = difflib.get_close_matches(text, list(choices), n=3, cutoff=0.6)
    return ("（是否为" + "、".join(f"“{c}”" for c in close) + "？）") if close else ""


# met / not met: the only values of a row whose rule reads 1 = 达到, 0 = 未达到
ZERO_ONE = (0.0, 1.0)


__all__ = ["CellError", "Normalised", "ValueSpec", "UnitIndex", "clean_text", "clean_code",
           "parse_number", "parse_date", "name_key", "is_blank", "suggest", "ZERO_ONE",
           "TRADITIONAL"]
