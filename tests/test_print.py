"""Print documents: the bulletin as a GB/T 9704 公文 (PDF and Word), a PDF per unit report,
the rubric as its attachment, publication details with 〔待填〕 where missing."""

from __future__ import annotations

import html
import io
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from kaohe.publication import PENDING, Publication, printed, warnings
from kaohe.report.build import build
from kaohe.report.word import ATTACHMENT_COLUMNS, attachment_rows
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
SCHEME, YEAR = "changshou-rural", "2023"
UNITS = ["fengcheng", "yuntai"]
A4 = (595.28, 841.89)  # points
MM = 72 / 25.4


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """One scheme-year with two unit reports, PDFs and Word documents."""
    out = tmp_path_factory.mktemp("print")
    result = build([ROOT / "params" / SCHEME / f"{YEAR}.yaml"], out, units=UNITS, jobs=1)
    assert (result.rendered, result.failed) == (len(UNITS) + 2, 0)  # bulletin, internal page, units
    return out


@pytest.fixture(scope="module")
def totals(out) -> pd.DataFrame:
    return pd.read_csv(out / SCHEME / YEAR / "data" / "totals.csv", dtype={"unit_id": str})


def _check_pdf(path: Path) -> str:
    """A4 pages, every font embedded; the text of all pages."""
    reader = PdfReader(path)
    assert len(reader.pages) >= 1
    for page in reader.pages:
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=0.5)
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            desc = (descendants[0].get_object() if descendants else font)["/FontDescriptor"]
            desc = desc.get_object()
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), \
                f"{path.name}: font {font.get('/BaseFont')} not embedded"
    return "\n".join(p.extract_text() for p in reader.pages)


def test_bulletin_pdf(out, totals):
    path = out / SCHEME / YEAR / "bulletin.pdf"
    text = _check_pdf(path)
    assert "— 1 —" in text and "— 2 —" in text
    flat = text.replace(" ", "").replace("\n", "")
    for _, u in totals.iterrows():  # the 附件 holds every unit's name and total
        assert u["name"] in flat, u["name"]
        assert f"{u['total']:.2f}" in flat, (u["name"], u["total"])
    rubric = load_rubric(ROOT / "params" / SCHEME / f"{YEAR}.yaml").rubric
    pub = rubric.publication
    # one attachment: "附件" without a number (GB/T 9704 7.3.4), on its own page
    assert len(pub.attachments) == 1 and "附件1" not in flat
    for detail in (pub.number, pub.addressees, pub.signatory, "抄送：", "印发",
                   "附件：" + pub.attachments[0], "各单位考核结果见附件。", "2024年3月10日"):
        assert detail.replace(" ", "") in flat, detail
    assert PENDING not in flat  # every detail given in the bundled rubric
    outline = PdfReader(path).outline
    assert len(outline) >= 1  # bookmarks from the headings


def test_unit_pdfs(out, totals):
    for unit in UNITS:
        path = out / SCHEME / YEAR / "units" / f"{unit}.pdf"
        flat = _check_pdf(path).replace(" ", "").replace("\n", "")
        row = totals.set_index("unit_id").loc[unit]
        assert row["name"] in flat and f"{row['total']:.2f}" in flat
        assert "—1—" in flat


def test_bulletin_page_one_geometry(out):
    """Page 1 at 300 dpi: the red separator spans the text block (28 → 184 mm from the left
    edge) and the issuing mark starts 35 mm into it (72 mm from the top); the text stays in
    the 156 × 225 mm block; all within 1 mm of GB/T 9704."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(out / SCHEME / YEAR / "bulletin.pdf"))
    dpi = 300
    img = np.asarray(pdf[0].render(scale=dpi / 72).to_pil().convert("RGB")).astype(int)
    px_mm = dpi / 25.4
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    red = (r > 180) & (g < 90) & (b < 90)
    dark = (r < 110) & (g < 110) & (b < 110)
    # the rule: the rows where red runs longest
    widths = red.sum(axis=1)
    rule_rows = np.flatnonzero(widths > 0.9 * widths.max())
    cols = np.flatnonzero(red[rule_rows].any(axis=0))
    assert widths.max() / px_mm == pytest.approx(156, abs=1)
    assert cols.min() / px_mm == pytest.approx(28, abs=1)
    assert (cols.max() + 1) / px_mm == pytest.approx(184, abs=1)
    assert rule_rows.min() / px_mm == pytest.approx(37 + 70, abs=1)
    # the issuing mark: red ink above the rule, its top edge 35 mm below the block's top
    mark_rows = np.flatnonzero(red[: rule_rows.min() - 5].any(axis=1))
    assert mark_rows.min() / px_mm == pytest.approx(37 + 35, abs=1)
    # body text: from the binding-side margin (28 mm) to at most 184 mm, above 262 mm
    below = dark[rule_rows.max() + 5: int(262 * px_mm)]
    text_cols = np.flatnonzero(below.any(axis=0))
    assert text_cols.min() / px_mm == pytest.approx(28, abs=1)
    assert text_cols.max() / px_mm <= 184 + 1
    # the page number "— 1 —": 7 mm below the text block (262 mm), on the right
    foot = dark[int(262 * px_mm):]
    rows = np.flatnonzero(foot.any(axis=1))
    assert 262 + 6 <= 262 + rows.min() / px_mm <= 262 + 10
    assert np.flatnonzero(foot.any(axis=0)).max() / px_mm <= 184 + 1


def test_word_bulletin(out, totals):
    from docx import Document
    from docx.shared import Mm

    doc = Document(str(out / SCHEME / YEAR / "bulletin.docx"))
    sec = doc.sections[0]
    assert (round(sec.page_width / Mm(1)), round(sec.page_height / Mm(1))) == (210, 297)
    assert (round(sec.top_margin / Mm(1)), round(sec.left_margin / Mm(1))) == (37, 28)
    names = {s.name for s in doc.styles}
    assert {"公文正文", "公文标题", "一级标题", "发文机关标志", "版记"} <= names
    in_tables = {row.cells[1].text for t in doc.tables for row in t.rows[1:]}
    assert set(totals["name"]) <= in_tables
    totals_text = {c.text for t in doc.tables for row in t.rows[1:] for c in row.cells}
    assert {f"{v:.2f}" for v in totals["total"]} <= totals_text
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "通报" in text and "抄送：" in text and "印发" in text
    assert "各单位考核结果见附件。" in text and "附件1" not in text  # the only attachment


def test_rubric_attachment(out):
    from docx import Document
    from openpyxl import load_workbook

    rubric = load_rubric(ROOT / "params" / SCHEME / f"{YEAR}.yaml").rubric
    rows = attachment_rows(rubric)
    assert len(rows) == len(rubric.scored_leaves())
    assert all(r[1] and r[6] for r in rows)  # every row names its indicator and its rule
    doc = Document(str(out / SCHEME / YEAR / "rubric.docx"))
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ATTACHMENT_COLUMNS
    assert len(table.rows) == len(rows) + 1
    ws = load_workbook(out / SCHEME / YEAR / "rubric.xlsx").active
    assert [c.value for c in ws[2]] == ATTACHMENT_COLUMNS
    assert ws.max_row == len(rows) + 2
    points = sum(float(r[3]) for r in rows if r[3] and not r[1].startswith("加减分项"))
    assert points > 0


def test_rebuild_keeps_pdfs_and_rewrites_them_when_removed(out):
    again = build([ROOT / "params" / SCHEME / f"{YEAR}.yaml"], out, units=UNITS, jobs=1)
    assert (again.rendered, again.kept) == (0, len(UNITS) + 2)
    pdf = out / SCHEME / YEAR / "units" / f"{UNITS[0]}.pdf"
    before = pdf.read_bytes()
    pdf.unlink()
    third = build([ROOT / "params" / SCHEME / f"{YEAR}.yaml"], out, units=UNITS, jobs=1)
    assert third.rendered == 1 and pdf.read_bytes() == before  # same bytes again


def test_missing_publication_details_are_warned_and_shown_pending(tmp_path):
    assert warnings(None, tmp_path) and PENDING in printed(None)["number"]
    pub = Publication(number="示改发〔2024〕1号", fonts={"fangsong": "nope.ttf"})
    said = "\n".join(warnings(pub, tmp_path))
    assert "发文机关标志" in said and "主送机关" in said and "发文字号" not in said
    assert "字体文件不存在" in said
    old = Publication(date="2023-03-10", print_date="2024-03-12")
    assert "早于考核年度" in "\n".join(warnings(old, tmp_path, 2024))
    assert "早于考核年度" not in "\n".join(warnings(old, tmp_path, 2023))
    shown = printed(pub)
    assert shown["number"] == "示改发〔2024〕1号" and shown["addressees"] == PENDING


def test_draft_pdf_shows_pending_and_office_fonts_are_used(tmp_path):
    from kaohe.report.pdf import FONTS, PdfRenderer, fonts_resource

    page = ("<!DOCTYPE html><html><body class='report bulletin'><main class='doc'>"
            "<h1 class='title'>某县考核结果通报</h1><p>正文。</p></main></body></html>")
    own = tmp_path / "office-fangsong.otf"
    shutil.copy(FONTS / "NotoSansSC-Regular.otf", own)
    fonts = fonts_resource({"fangsong": str(own)})
    assert fonts["fangsong"][0] == str(own) and fonts["fangsong"][1] != "bundled"
    pdf = PdfRenderer().render(page, {"print": {"publication": printed(None), "fonts": fonts}})
    reader = PdfReader(io.BytesIO(pdf))
    flat = "".join(p.extract_text() for p in reader.pages).replace(" ", "")
    assert flat.count(PENDING) >= 5 and "某县考核结果通报" in flat


def test_validate_names_missing_publication_details(tmp_path, capsys):
    from kaohe.cli import main

    src = ROOT / "params" / SCHEME / f"{YEAR}.yaml"
    text = src.read_text(encoding="utf-8")
    cut = text.index("\npublication:")
    params = tmp_path / "params" / SCHEME
    params.mkdir(parents=True)
    (params / f"{YEAR}.yaml").write_text(
        text[:cut] + "\npublication:\n  number: 示例〔2024〕1号\n", encoding="utf-8")
    rc = main(["validate", str(params / f"{YEAR}.yaml"), "--data",
               str(ROOT / "data" / SCHEME / YEAR)])
    said = capsys.readouterr().out
    assert rc == 0 and "提醒" in said and "发文机关标志" in said and "成文日期" in said


def _page(body: str, kind: str = "unit") -> str:
    return (f"<!DOCTYPE html><html><body class='report {kind}'><main class='doc'>{body}"
            "</main></body></html>")


def _text(pdf: bytes) -> list[str]:
    return [re.sub(r"[\s\u3000]", "", p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]


def test_user_text_is_printed_literally():
    """Text from data and params reaches Typst as JSON strings, never as markup."""
    from kaohe.report.pdf import PdfRenderer, fonts_resource

    nasty = ["#set-page(width:1cm)", "$x^2$", "*粗*", "[链接]", "a\\b", "@ref", "<lab>",
             "_下划_", "`代码`", "//注释", "= 标题", "#{1+1}"]
    esc = [html.escape(s) for s in nasty]  # as the pages carry them
    rows = "".join(f"<tr><td class='nw'>单位{s}</td><td class='num'>9{i}.00</td></tr>"
                   for i, s in enumerate(esc))
    page = _page(f"<h1 class='title'>考核{esc[0]}</h1><h2>一、{esc[1]}</h2>"
                 f"<p>说明{''.join(esc)}</p><table class='grid'><caption>表1　{esc[2]}"
                 f"</caption><thead><tr><th>单位</th><th class='num'>总分</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
    pub = {**printed(None), "number": "示发〔2024〕#1号", "cc": "$抄送*[单位]"}
    fonts = fonts_resource(None)
    for spec in ({"header": "凤城街道#[*]", "fonts": fonts}, {"publication": pub, "fonts": fonts}):
        pdf = PdfRenderer().render(page, {"print": spec})
        flat = "".join(_text(pdf))
        for s in nasty:
            assert f"单位{s}".replace(" ", "") in flat, s
        assert "说明" + "".join(nasty).replace(" ", "") in flat
        assert PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width == pytest.approx(A4[0], abs=0.5)
    assert "示发〔2024〕#1号" in flat and "$抄送*[单位]" in flat


def test_long_table_repeats_its_header_under_a_continued_caption():
    from kaohe.report.pdf import PdfRenderer, fonts_resource

    rows = "".join(f"<tr><td class='num'>{i}</td><td class='nw'>第{i}单位</td>"
                   f"<td>情况说明{i}</td></tr>" for i in range(1, 121))
    page = _page("<h1 class='title'>续表检验</h1><table class='grid'><caption>表7　全部单位"
                 "</caption><thead><tr><th class='num'>序号</th><th class='nw'>单位名称</th>"
                 f"<th>说明</th></tr></thead><tbody>{rows}</tbody></table>")
    pdf = PdfRenderer().render(page, {"print": {"header": "检验", "fonts": fonts_resource(None)}})
    pages = _text(pdf)
    assert len(pages) >= 3
    assert "表7全部单位" in pages[0] and "续表7" not in pages[0]
    for text in pages[1:]:
        assert "续表7" in text and "单位名称" in text  # caption continued, header repeated
    flat = "".join(pages)
    assert all(f"第{i}单位" in flat for i in range(1, 121))
    # a row is never split: every row's cells are on one page
    assert all(any(f"第{i}单位情况说明{i}" in p for p in pages) for i in range(1, 121))


def test_same_pdf_bytes_from_fresh_renderers_and_no_dates():
    from kaohe.report.pdf import PdfRenderer, fonts_resource

    page = _page("<h1 class='title'>同样的输入</h1><p>同样的输出。</p>")
    res = {"print": {"header": "检验", "fonts": fonts_resource(None)}}
    first, second = PdfRenderer().render(page, res), PdfRenderer().render(page, res)
    assert first == second
    assert b"CreationDate" not in first and b"ModDate" not in first


def test_characters_outside_the_bundled_fonts_fall_back_to_the_bundled_collection():
    from fontTools.ttLib import TTFont

    from kaohe.report.pdf import BUNDLED, FONTS, PdfRenderer, fonts_resource

    rare = "龘垚珺"
    cmap = TTFont(FONTS / BUNDLED["fangsong"]).getBestCmap()
    assert not any(ord(c) in cmap for c in rare)  # the test's premise
    page = _page(f"<h1 class='title'>生僻字</h1><p>单位名称{rare}。</p>")
    pdf = PdfRenderer().render(page, {"print": {"header": rare, "fonts": fonts_resource(None)}})
    reader = PdfReader(io.BytesIO(pdf))
    assert rare in "".join(p.extract_text() for p in reader.pages)
    names = {str(f.get_object()["/BaseFont"]) for p in reader.pages
             for f in p["/Resources"]["/Font"].values()}
    assert any("NotoSansMonoCJK" in n for n in names), names


def test_svg_charts_carry_what_they_use_from_other_charts():
    """Inline SVGs of a page share glyph outlines (charts.share_glyphs) and lose their
    names' case in the HTML parser: each chart handed to Typst is whole and in SVG case."""
    from kaohe.report.printtree import page_tree

    one = ('<svg width="100pt" height="50pt" viewBox="0 0 100 50"><defs><path id="g1" '
           'd="M0 0L10 10"/></defs><clipPath id="c1"><rect width="5" height="5"/></clipPath>'
           '<use xlink:href="#g1"/></svg>')
    two = '<svg width="300pt" height="50pt" viewBox="0 0 300 50"><use xlink:href="#g1"/></svg>'
    tree = page_tree(_page(f"<figure class='chart'>{one}<figcaption>图1　甲</figcaption></figure>"
                           f"<figure class='chart'>{two}<figcaption>图2　乙</figcaption></figure>"))
    figs = [b for b in tree["blocks"] if b["t"] == "figure"]
    assert [f["caption"] for f in figs] == ["图1　甲", "图2　乙"]
    assert 'id="g1"' in figs[1]["svg"] and "viewBox=" in figs[1]["svg"]
    assert "<clipPath" in figs[0]["svg"] and figs[1]["width"] == 300


def test_column_widths_keep_names_and_numbers_whole():
    from kaohe.report.printtree import column_widths, text_width

    def cell(text, **kw):
        return {"text": text, "th": False, "num": False, "nw": False, "colspan": 1,
                "rowspan": 1, **kw}

    table = {"head": [{"cells": [cell("单位", th=True), cell("总分", th=True),
                                 cell("原因", th=True)]}],
             "body": [{"cells": [cell("长寿湖镇人民政府", nw=True), cell("97.86", num=True),
                                 cell("很长的说明" * 20)]}]}
    widths = column_widths(table, width_em=40.0)
    assert sum(widths) == pytest.approx(1.0, abs=1e-3)
    assert widths[0] * 40 >= text_width("长寿湖镇人民政府")  # the name on one line
    assert widths[1] * 40 >= text_width("97.86")
    assert widths[2] > widths[0] > widths[1]  # the long text takes what is left


def test_only_the_results_section_moves_into_the_annex():
    """"三、连续年度考核结果运用" holds the words 考核结果 too: only "六、考核结果"'s tables
    (sichuan's bulletin has both) become 附件1."""
    from kaohe.report.pdf import compose_bulletin

    def table(caption: str) -> dict:
        return {"t": "table", "caption": caption, "head": [], "body": [], "class": ""}

    blocks = [{"t": "h", "level": 2, "text": "三、连续年度考核结果运用"}, table("表1　连续先进"),
              {"t": "h", "level": 2, "text": "六、考核结果"},
              {"t": "p", "text": "总分按2位小数舍入。", "class": ""},
              {"t": "h", "level": 3, "text": "市（州）（21个）"}, table("表5　市（州）考核结果"),
              {"t": "h", "level": 2, "text": "七、分项得分率"}]
    tree = {"blocks": blocks}
    compose_bulletin(tree, printed(Publication(issuer_mark="某县委文件")))
    assert [b.get("caption", b.get("text")) for b in tree["annex"]] == \
        ["市（州）（21个）", "表5　市（州）考核结果"]
    assert [b.get("caption", b.get("text")) for b in tree["blocks"]] == \
        ["三、连续年度考核结果运用", "表1　连续先进", "六、考核结果", "总分按2位小数舍入。",
         "各单位考核结果见附件。", "七、分项得分率"]


def test_signature_is_not_alone_and_the_record_ends_an_even_page(out):
    """GB/T 9704: the 落款 follows the body on its page (here the 分项得分率 chart goes
    with it), and the 版记 is at the foot of the last page, an even one, with no blank page
    before it."""
    reader = PdfReader(out / SCHEME / YEAR / "bulletin.pdf")
    pages = [re.sub(r"[\s\u3000]", "", p.extract_text()) for p in reader.pages]
    pub = load_rubric(ROOT / "params" / SCHEME / f"{YEAR}.yaml").rubric.publication
    signed = next(i for i, t in enumerate(pages) if "2024年3月10日" in t)
    before = pages[signed].split("附件：")[0]
    assert "图" in before  # the body's last figure, its caption, on the 落款's page
    assert len(pages) % 2 == 0 and "抄送：" in pages[-1] and "附件" in pages[-2]
    assert all(len(t) > 20 for t in pages), "a blank page"
    assert pub.signatory in pages[signed]


@pytest.mark.parametrize("rows", [40, 50])
def test_a_bulletin_ending_with_a_long_table_keeps_rows_with_its_signature(rows):
    """sichuan's bulletin ends with 与上年度比较 (one row per unit): its last rows go with
    the 落款 — right under the rows above them (40 rows: one 续表 page), or, when they
    start a page (50 rows: pages 1–2 hold 53, too many to leave room for the 落款 after row
    50), under "续表1" and the repeated header."""
    from kaohe.report.pdf import PdfRenderer, fonts_resource

    body = "".join(f"<tr><td class='nw'>第{i}单位</td><td class='num'>{i}.5</td></tr>"
                   for i in range(1, rows + 1))
    page = _page("<h1 class='title'>某县考核结果通报</h1><h2>一、与上年度比较</h2>"
                 "<div class='table-scroll'><table class='grid'><caption>表1　与上年度比较"
                 "</caption><thead><tr><th>单位</th><th class='num'>总分</th></tr></thead>"
                 f"<tbody>{body}</tbody></table></div>", kind="bulletin")
    pub = printed(Publication(issuer_mark="某县委文件", signatory="某县委改革办", date="2024-03-10"))
    pdf = PdfRenderer().render(page, {"print": {"publication": pub, "fonts": fonts_resource(None)}})
    pages = _text(pdf)
    signed = next(i for i, t in enumerate(pages) if "2024年3月10日" in t)
    flat = "".join(pages)
    assert all(flat.count(f"第{i}单位{i}.5") == 1 for i in range(1, rows + 1))
    kept = "".join(f"第{i}单位{i}.5" for i in range(rows - 2, rows + 1))
    assert kept + "某县委改革办2024年3月10日" in pages[signed]
    assert pages[signed].count("续表1单位总分") == 1  # the header once, never twice
    first_row = 15 if rows == 40 else 48
    assert pages[signed].startswith(f"续表1单位总分第{first_row}单位")
    assert len(pages) % 2 == 0 and "抄送：" in pages[-1]
