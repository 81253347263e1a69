"""HTML export of executed report notebooks, in-process, with one reused exporter.

nbconvert's HTMLExporter with the project's template (``templates/kaohe``): inputs and
prompts excluded, and the project's own stylesheet (a few kilobytes) inlined instead of the
lab CSS that the stock templates inline into every page (hundreds of kilobytes each)."""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
STYLE = (STATIC / "kaohe.css").read_text(encoding="utf-8")  # inlined into every page


class Exporter:
    """Build once, export many: creating an HTMLExporter loads and compiles templates."""

    def __init__(self) -> None:
        from nbconvert import HTMLExporter

        self._html = HTMLExporter(
            template_name="kaohe", extra_template_basedirs=[str(TEMPLATES)],
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
            exclude_markdown=True, exclude_raw=True, exclude_unknown=True)

    def export(self, nb, page: dict) -> str:
        """The page's HTML; ``page`` gives title and breadcrumbs; the stylesheet is inlined."""
        body, _ = self._html.from_notebook_node(nb, resources={"kaohe": {**page, "style": STYLE}})
        return body.strip() + "\n"
