"""A small paginated A4 document on fpdf2, shared by the committee pack and the report.

DejaVu Sans when installed (Debian's fonts-dejavu-core: every French
character), otherwise a core font with the text transliterated to Latin-1.
Each page carries a running title and "page n / N" at the foot.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fpdf import FPDF

from matcher.pdf_sheet import DEJAVU_DIR, transliterate

BLUE = (31, 84, 140)
GREY = (110, 110, 110)


class Document(FPDF):
    """An A4 report with a running title, numbered pages and French-ready text helpers."""

    def __init__(self, title: str, subtitle: str = ""):
        super().__init__(format="A4", unit="mm")
        self.doc_title = title
        self.doc_subtitle = subtitle
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(True, margin=18)
        regular, bold = DEJAVU_DIR / "DejaVuSans.ttf", DEJAVU_DIR / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            self.add_font("DejaVu", "", str(regular))
            self.add_font("DejaVu", "B", str(bold))
            self.family_name, self.unicode_ok = "DejaVu", True
        else:
            self.family_name, self.unicode_ok = "Helvetica", False
        self.alias_nb_pages()
        self.set_title(self.t(title))
        self.set_creator("matcher")
        self.add_page()

    # ----------------------------------------------------------------- text
    def t(self, text: Any) -> str:
        """Return ``text`` as the font can draw it."""
        text = "" if text is None else str(text)
        return text if self.unicode_ok else transliterate(text)

    @property
    def width(self) -> float:
        """Return the printable width in mm."""
        return self.w - self.l_margin - self.r_margin

    def header(self) -> None:  # noqa: D401 - fpdf2 hook
        if self.page_no() == 1:
            return
        self.set_font(self.family_name, "", 8)
        self.set_text_color(*GREY)
        self.cell(self.width, 5, self.t(self.doc_title)[:110], new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def footer(self) -> None:  # noqa: D401 - fpdf2 hook
        self.set_y(-12)
        self.set_font(self.family_name, "", 8)
        self.set_text_color(*GREY)
        stamp = dt.datetime.now().strftime("%d/%m/%Y")
        self.cell(self.width / 2, 5, self.t(f"Édité le {stamp} · matcher"))
        self.cell(self.width / 2, 5, self.t(f"Page {self.page_no()} / {{nb}}"), align="R")
        self.set_text_color(0, 0, 0)

    def title_block(self, lines: Iterable[str] = ()) -> None:
        """Write the document title, subtitle and a few lines under them."""
        self.set_font(self.family_name, "B", 16)
        self.set_text_color(*BLUE)
        self.multi_cell(
            self.width, 8, self.t(self.doc_title), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        self.set_text_color(0, 0, 0)
        if self.doc_subtitle:
            self.set_font(self.family_name, "", 10)
            self.multi_cell(
                self.width, 5, self.t(self.doc_subtitle), new_x="LMARGIN", new_y="NEXT", align="L"
            )
        self.set_font(self.family_name, "", 9)
        for line in lines:
            self.multi_cell(self.width, 4.5, self.t(line), new_x="LMARGIN", new_y="NEXT", align="L")
        self.ln(2)

    def section(self, title: str, *, min_space_mm: float = 30) -> None:
        """Start a section (on a new page when less than ``min_space_mm`` is left)."""
        if self.get_y() > self.h - self.b_margin - min_space_mm:
            self.add_page()
        self.ln(2)
        self.set_font(self.family_name, "B", 12)
        self.set_text_color(*BLUE)
        self.cell(self.width, 7, self.t(title), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*BLUE)
        self.line(self.l_margin, self.get_y(), self.l_margin + self.width, self.get_y())
        self.set_text_color(0, 0, 0)
        self.ln(1.5)

    def paragraph(self, text: str, size: float = 9, bold: bool = False) -> None:
        """Write a wrapped paragraph."""
        self.set_font(self.family_name, "B" if bold else "", size)
        self.multi_cell(self.width, 4.6, self.t(text), new_x="LMARGIN", new_y="NEXT", align="L")

    def facts(self, pairs: Iterable[tuple[str, str]], label_mm: float = 60) -> None:
        """Write label / value pairs, two columns."""
        for label, value in pairs:
            self.set_font(self.family_name, "B", 8.5)
            y = self.get_y()
            self.multi_cell(label_mm, 4.4, self.t(label), new_x="RIGHT", new_y="TOP", align="L")
            self.set_font(self.family_name, "", 8.5)
            self.multi_cell(
                self.width - label_mm, 4.4, self.t(value), new_x="LMARGIN", new_y="NEXT"
            )
            self.set_y(max(self.get_y(), y + 4.4))

    def table(
        self,
        rows: Sequence[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        widths: Sequence[float] | None = None,
        size: float = 7.5,
    ) -> None:
        """Write a table with a header row repeated on each page (rows are dicts)."""
        if not rows:
            self.paragraph("(aucune ligne)", size=8)
            return
        columns = list(columns or rows[0].keys())
        from fpdf.enums import TableCellFillMode

        self.set_font(self.family_name, "", size)
        self.set_fill_color(255, 255, 255)
        self.set_draw_color(190, 190, 190)
        self.set_line_width(0.1)
        with super().table(
            text_align="LEFT",
            cell_fill_color=(243, 246, 250),
            cell_fill_mode=TableCellFillMode.ROWS,
            col_widths=tuple(widths) if widths else None,
            width=self.width,
            line_height=size * 0.5 + 0.6,
            headings_style=_heading_style(self),
            repeat_headings=1,
            first_row_as_headings=True,
        ) as table:
            head = table.row()
            for c in columns:
                head.cell(self.t(c))
            for r in rows:
                row = table.row()
                for c in columns:
                    row.cell(self.t(_cell_text(r.get(c))))
        self.ln(1)

    def bars(self, items: Sequence[tuple[str, float, float]], unit: str = "") -> None:
        """Draw horizontal bars (label, value, target or NaN) scaled to the largest."""
        top = max([v for _l, v, _t in items] + [t for _l, _v, t in items if t == t] + [1e-9])
        label_w, bar_w = 55, self.width - 80
        self.set_font(self.family_name, "", 8)
        for label, value, target in items:
            y = self.get_y()
            self.cell(label_w, 5, self.t(label)[:40])
            self.set_fill_color(225, 225, 225)
            self.rect(self.l_margin + label_w, y + 1, bar_w, 3, style="F")
            self.set_fill_color(*BLUE)
            self.rect(self.l_margin + label_w, y + 1, bar_w * max(0, value) / top, 3, style="F")
            if target == target:
                x = self.l_margin + label_w + bar_w * target / top
                self.set_draw_color(200, 40, 40)
                self.line(x, y, x, y + 5)
            self.set_xy(self.l_margin + label_w + bar_w + 2, y)
            from matcher.fund.fmt import fr_number

            self.cell(23, 5, self.t(fr_number(value, 2 if abs(value) < 100 else 0, unit)))
            self.ln(5)


def _heading_style(doc: Document):
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=BLUE)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "inconnu"
        from matcher.fund.fmt import fr_number

        return fr_number(value, 0 if abs(value) >= 100 else 1)
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


def _polygons(geom: Mapping[str, Any]) -> list[list]:
    """Return the polygons (lists of rings) of a GeoJSON geometry of any areal type."""
    kind = geom.get("type")
    if kind == "Polygon":
        return [geom.get("coordinates") or []]
    if kind == "MultiPolygon":
        return list(geom.get("coordinates") or [])
    if kind == "GeometryCollection":
        return [p for g in geom.get("geometries") or [] for p in _polygons(g)]
    return []


def draw_outlines(
    doc: Document,
    collection: Mapping[str, Any],
    points: Sequence[tuple[float, float, str]],
    *,
    height_mm: float = 70,
    highlight: Iterable[str] = (),
    caption: str = "",
) -> None:
    """Draw polygons of a GeoJSON collection (lon/lat) with points on top, north up.

    ``points`` are (lon, lat, label); features whose ``code`` is in
    ``highlight`` are shaded. Coordinates are scaled with cos(latitude), a
    drawing aid only (no distance is read from it).
    """
    feats = [f for f in collection.get("features", []) if f.get("geometry")]
    rings = []
    for f in feats:
        for poly in _polygons(f["geometry"]):
            if poly:
                rings.append((f.get("properties", {}).get("code"), poly[0]))
    xs = [p[0] for _c, r in rings for p in r] + [p[0] for p in points]
    ys = [p[1] for _c, r in rings for p in r] + [p[1] for p in points]
    if not xs:
        doc.paragraph("Carte indisponible : aucun contour pour ce lieu.", size=8)
        return
    if doc.get_y() + height_mm + 12 > doc.h - doc.b_margin:
        doc.add_page()
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    kx = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * kx, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = min(doc.width / span_x, height_mm / span_y)
    x0 = doc.l_margin + (doc.width - span_x * scale) / 2
    y0 = doc.get_y()

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return x0 + (lon - west) * kx * scale, y0 + (north - lat) * scale

    shaded = set(highlight)
    doc.set_line_width(0.15)
    doc.set_draw_color(150, 150, 150)
    for code, ring in rings:
        pts = [xy(p[0], p[1]) for p in ring]
        if len(pts) < 3:
            continue
        doc.set_fill_color(*((214, 228, 240) if code in shaded else (246, 246, 246)))
        doc.polygon(pts, style="DF")
    doc.set_font(doc.family_name, "", 7)
    for lon, lat, label in points:
        x, y = xy(lon, lat)
        doc.set_fill_color(200, 40, 40)
        doc.ellipse(x - 1.3, y - 1.3, 2.6, 2.6, style="F")
        if label:
            doc.set_xy(x + 1.8, y - 2)
            doc.cell(40, 4, doc.t(label)[:40])
    doc.set_y(y0 + span_y * scale + 2)
    if caption:
        doc.set_font(doc.family_name, "", 7.5)
        doc.set_text_color(*GREY)
        doc.multi_cell(doc.width, 4, doc.t(caption), new_x="LMARGIN", new_y="NEXT", align="L")
        doc.set_text_color(0, 0, 0)
