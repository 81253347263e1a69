"""Documents an office edits and issues: the bulletin as a Word 公文 (``bulletin.docx``)
and the rubric as its official attachment, the 考核指标体系 (``rubric.docx`` and
``rubric.xlsx``).

Made from the score tables and the rubric (python-docx, openpyxl), not from the HTML: real
Word tables and named styles (公文正文, 公文标题, 一级标题 …) in the GB/T 9704 layout, with
the fonts an office's Word or WPS has (仿宋_GB2312, 方正小标宋简体, 黑体, 楷体_GB2312). Saved
with fixed timestamps, so the same scores give the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from ..excel.workbook import ZIP_TIME
from ..publication import annex_mark, printed
from ..rubric import Node, Rubric
from .data import ReportData
from .pdf import mark_size
from .plan import bulletin_title

FANGSONG, XBS, HEI, KAI, SONG = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"
LINE = Pt(28.95)  # 225 mm / 22 lines
RED = RGBColor(0xE0, 0x00, 0x00)
ATTACHMENT_COLUMNS = ["序号", "考核指标", "考核内容", "分值", "责任单位", "考核方式", "评分规则"]


# -- styles and page -----------------------------------------------------------------------

def _font(style_or_run, name: str, size: float, color: RGBColor | None = None) -> None:
    f = style_or_run.font
    f.name = name
    f.size = Pt(size)
    f.bold = False
    if color is not None:
        f.color.rgb = color
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _style(doc, name: str, font: str, size: float, *, align=None, indent: bool = False,
           exact: bool = True, color: RGBColor | None = None):
    st = doc.styles.add_style(name, 1)  # paragraph style
    st.base_style = doc.styles["Normal"]
    _font(st, font, size, color)
    pf = st.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    if exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = LINE
    if indent:
        pf.first_line_indent = Pt(2 * size)
    if align is not None:
        pf.alignment = align
    return st


def _gongwen_document():
    """A blank document with the 公文 page (A4, 37/35 mm top/bottom, 28 mm binding side,
    mirrored on even pages) and its named styles."""
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.footer_distance = Mm(35 - 7 - 5)  # page number 7 mm below the text block
    settings = doc.settings.element
    settings.append(OxmlElement("w:mirrorMargins"))
    doc.settings.odd_and_even_pages_header_footer = True
    _font(doc.styles["Normal"], FANGSONG, 16)
    _style(doc, "公文正文", FANGSONG, 16, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _style(doc, "公文标题", XBS, 22, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False)
    _style(doc, "一级标题", HEI, 16, indent=True)
    _style(doc, "二级标题", KAI, 16, indent=True)
    _style(doc, "发文机关标志", XBS, 36, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False, color=RED)
    _style(doc, "发文字号", FANGSONG, 16, align=WD_ALIGN_PARAGRAPH.CENTER)
    _style(doc, "主送机关", FANGSONG, 16)
    _style(doc, "落款", FANGSONG, 16, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _style(doc, "附件标识", HEI, 16)
    _style(doc, "版记", FANGSONG, 14, exact=False)
    _style(doc, "表格文字", FANGSONG, 10.5, exact=False)
    _style(doc, "表格标题", HEI, 12, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False)
    _style(doc, "页码", SONG, 14, exact=False)
    for footer, align in ((sec.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        p.style = doc.styles["页码"]
        p.alignment = align
        p.add_run("— " if align == WD_ALIGN_PARAGRAPH.RIGHT else "　— ")
        _field(p, "PAGE")
        p.add_run(" —　" if align == WD_ALIGN_PARAGRAPH.RIGHT else " —")
    return doc


def _field(paragraph, code: str) -> None:
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), code)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _rule(paragraph, side: str, size_eighths: int, color: str = "000000") -> None:
    """A paragraph border: the red separator of the 版头, the rules of the 版记."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    b = OxmlElement(f"w:{side}")
    b.set(qn("w:val"), "single")
    b.set(qn("w:sz"), str(size_eighths))
    b.set(qn("w:space"), "1")
    b.set(qn("w:color"), color)
    borders.append(b)


def _table(doc, header: list[str], rows: list[list[str]], numeric: set[int]):
    t = doc.add_table(rows=1, cols=len(header))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, h in enumerate(header):
        cell = t.rows[0].cells[i]
        cell.text = ""
        p = cell.paragraphs[0]
        p.style = doc.styles["表格文字"]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(h), HEI, 10.5)
    trpr = t.rows[0]._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:tblHeader"))  # repeated on every page
    for r in rows:
        cells = t.add_row().cells
        for i, v in enumerate(r):
            p = cells[i].paragraphs[0]
            p.style = doc.styles["表格文字"]
            if i in numeric:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.add_run(v)
    return t


def _save(doc, path: Path) -> Path:
    """Save with fixed core properties and zip dates: the same content, the same bytes."""
    import datetime as dt

    props = doc.core_properties
    props.author = props.last_modified_by = "kaohe"
    props.created = props.modified = dt.datetime(2000, 1, 1)
    props.revision = 1
    raw = io.BytesIO()
    doc.save(raw)
    return _fixed_zip(raw.getvalue(), path)


def _fixed_zip(data: bytes, path: Path) -> Path:
    from . import files

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    files.write_bytes(path, out.getvalue())
    return path


# -- the bulletin -------------------------------------------------------------------------

def _num(v) -> str:
    return "—" if pd.isna(v) else f"{float(v):.2f}"


def result_groups(data: ReportData) -> list[tuple[str, pd.DataFrame]]:
    """(title, units in rank order) per ranking group: by unit kind when ranked by kind."""
    t = data.totals
    order = ["rank", "total"]
    kinds = {k.id: k.name for k in data.rubric.unit_kinds}
    if "kind" in data.rubric.groups and "kind" in t.columns and t["kind"].nunique() > 1:
        return [(f"{kinds.get(k, k)}（{len(m)}个）",
                 m.sort_values(order, ascending=[True, False], kind="mergesort"))
                for k, m in t.groupby("kind", sort=False)]
    return [(f"全部单位（{len(t)}个）",
             t.sort_values(order, ascending=[True, False], kind="mergesort"))]


def result_rows(data: ReportData, members: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The results table: 名次, 单位, first-level indicators, adjustments, 总分, 备注."""
    r = data.rubric
    tops = [n for n in r.indicators if n.id in members.columns]
    adjs = [a for a in r.adjustments if a.id in members.columns]
    header = ["名次", "单位"] + [f"{n.name}（{n.max_points:g}分）" for n in tops] \
        + [a.name for a in adjs] + ["总分"]
    has_grade = "grade" in members.columns and members["grade"].notna().any()
    header += (["等次"] if has_grade else []) + ["备注"]
    rows = []
    for _, u in members.iterrows():
        notes = [w for flag, w in (("vetoed", "一票否决"), ("advanced", "先进单位"),
                                   ("warning", "警示单位"))
                 if flag in u.index and bool(u[flag])]
        row = [str(int(u["rank"])), str(u["name"])] + [_num(u[n.id]) for n in tops] \
            + [_num(u[a.id]) for a in adjs] + [_num(u["total"])]
        row += ([("" if pd.isna(u["grade"]) else str(u["grade"]))] if has_grade else [])
        rows.append(row + ["；".join(notes)])
    return header, rows


def bulletin_docx(data: ReportData):
    """The bulletin as an editable Word 公文."""
    r = data.rubric
    pub = printed(r.publication)
    doc = _gongwen_document()
    st = doc.styles
    mark = doc.add_paragraph(style=st["发文机关标志"])
    mark.paragraph_format.space_before = Mm(35)
    _font(mark.add_run(pub["issuer_mark"]), XBS, mark_size(pub["issuer_mark"]), RED)
    doc.add_paragraph(style=st["发文字号"])
    number = doc.add_paragraph(pub["number"], style=st["发文字号"])
    _rule(number, "bottom", 8, "E00000")  # the red separator, 4 mm below the number
    doc.add_paragraph(style=st["公文正文"])
    doc.add_paragraph(bulletin_title(r.title), style=st["公文标题"])
    doc.add_paragraph(style=st["公文正文"])
    doc.add_paragraph(f"{pub['addressees']}：", style=st["主送机关"])
    t = data.totals
    basis = f"按照{r.document}的规定，" if r.document else ""
    doc.add_paragraph(f"{basis}{r.authority or pub['signatory']}组织开展了{r.title}。"
                      "现将考核结果通报如下。", style=st["公文正文"])
    doc.add_paragraph("一、总体情况", style=st["一级标题"])
    top, low = t.sort_values("total").iloc[-1], t.sort_values("total").iloc[0]
    doc.add_paragraph(
        f"本次考核共{len(t)}个单位参加。总分最高{_num(top['total'])}分（{top['name']}），"
        f"最低{_num(low['total'])}分（{low['name']}），平均{_num(t['total'].mean())}分。",
        style=st["公文正文"])
    doc.add_paragraph("二、考核结果", style=st["一级标题"])
    doc.add_paragraph(f"各单位考核结果见{annex_mark(pub['attachments'])}。", style=st["公文正文"])
    for flag, title in (("advanced", "先进单位"), ("warning", "警示单位")):
        if flag in t.columns and t[flag].astype(bool).any():
            names = "、".join(t.loc[t[flag].astype(bool)].sort_values("rank")["name"])
            doc.add_paragraph(f"（{'一' if flag == 'advanced' else '二'}）{title}",
                              style=st["二级标题"])
            doc.add_paragraph(f"{names}。", style=st["公文正文"])
    doc.add_paragraph(style=st["公文正文"])
    atts = pub["attachments"]
    for i, name in enumerate(atts, 1):
        prefix = "附件：" if i == 1 else "　　　"
        label = f"{i}．{name}" if len(atts) > 1 else name
        p = doc.add_paragraph(prefix + label, style=st["主送机关"])
        p.paragraph_format.left_indent = Pt(32)
    for _ in range(2):
        doc.add_paragraph(style=st["公文正文"])
    for text in (pub["signatory"], pub["date"]):
        p = doc.add_paragraph(text, style=st["落款"])
        p.paragraph_format.right_indent = Pt(64)
    # 附件 (1): the result tables, on new pages.
    doc.add_paragraph(style=st["公文正文"]).add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph(annex_mark(atts), style=st["附件标识"])
    doc.add_paragraph(atts[0], style=st["公文标题"])
    for i, (title, members) in enumerate(result_groups(data), 1):
        doc.add_paragraph(f"表{i}　{title}考核结果", style=st["表格标题"])
        header, rows = result_rows(data, members)
        _table(doc, header, rows, numeric={0} | set(range(2, len(header) - 1)))
    # 版记 on its own (last) page.
    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    sec.footer.is_linked_to_previous = True
    for _ in range(16):
        doc.add_paragraph(style=st["版记"])
    cc = doc.add_paragraph(f"抄送：{pub['cc']}。", style=st["版记"])
    cc.paragraph_format.left_indent = cc.paragraph_format.right_indent = Pt(14)
    _rule(cc, "top", 8)
    _rule(cc, "bottom", 6)
    printed_line = doc.add_paragraph(style=st["版记"])
    printed_line.paragraph_format.left_indent = printed_line.paragraph_format.right_indent = Pt(14)
    printed_line.paragraph_format.tab_stops.add_tab_stop(Mm(156 - 10), alignment=2)
    printed_line.add_run(f"{pub['printer']}\t{pub['print_date']}印发")
    _rule(printed_line, "bottom", 8)
    return doc


def write_bulletin_docx(path: Path, data: ReportData) -> Path:
    return _save(bulletin_docx(data), path)


# -- the rubric as its attachment ---------------------------------------------------------

def attachment_rows(rubric: Rubric) -> list[list[str]]:
    """One row per scored leaf and adjustment: 序号, 考核指标 (its path), 考核内容, 分值,
    责任单位, 考核方式, 评分规则 (the standard's words, else the rule in words)."""
    def words(node: Node) -> str:
        if node.standard:
            return node.standard
        return node.rule.words(node.max_points) if node.rule is not None else ""

    parents: dict[str, list[str]] = {}
    for node, parent, _ in rubric.walk():
        parents[node.id] = (parents[parent.id] if parent else []) + [node.name]
    rows = []
    for i, node in enumerate(rubric.scored_leaves(), 1):
        path = parents.get(node.id, ["加减分项", node.name])
        points = f"{node.max_points:g}" if node.points is not None else ""
        rows.append([str(i), "／".join(path), node.content, points, node.department,
                     node.method, words(node)])
    return rows


def write_rubric_attachment(docx_path: Path, xlsx_path: Path, rubric: Rubric) -> None:
    """考核指标体系 as Word (A4 landscape table) and Excel."""
    from docx.enum.section import WD_ORIENT
    from openpyxl import Workbook

    from ..excel.workbook import BORDER, CENTER, HEADER_FONT, WRAP, save

    rows = attachment_rows(rubric)
    title = f"{rubric.title}考核指标体系"
    doc = _gongwen_document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Mm(297), Mm(210)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = (Mm(28), Mm(26),
                                                                           Mm(37), Mm(35))
    doc.add_paragraph("附件", style=doc.styles["附件标识"])
    doc.add_paragraph(title, style=doc.styles["公文标题"])
    _table(doc, ATTACHMENT_COLUMNS, rows, numeric={0, 3})
    _save(doc, docx_path)

    wb = Workbook()
    ws = wb.active
    ws.title = "考核指标体系"
    ws.append([title])
    ws.append(ATTACHMENT_COLUMNS)
    for r in rows:
        ws.append([int(r[0]), r[1], r[2], float(r[3]) if r[3] else None, r[4], r[5], r[6]])
    for cell in ws[2]:
        cell.font, cell.alignment, cell.border = HEADER_FONT, CENTER, BORDER
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment, cell.border = WRAP, BORDER
    for col, width in zip("ABCDEFG", (6, 30, 40, 8, 16, 16, 50), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A3"
    save(wb, xlsx_path)
