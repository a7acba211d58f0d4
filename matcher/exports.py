"""Exports of search results: CSV, XLSX and a one-page PDF per premise.

* CSV is written for French spreadsheets (``;`` separator, ``,`` decimal,
  UTF-8 with BOM) and every text cell that a spreadsheet would run as a
  formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return)
  is neutralised with a leading apostrophe (OWASP "CSV injection").
* XLSX goes through openpyxl with the same neutralisation (openpyxl would
  otherwise store ``"=..."`` as a live formula).
* The PDF sheet uses DejaVu Sans when installed (every French character),
  otherwise a core font with a transliteration of what Latin-1 lacks.

>>> import pandas as pd
>>> data = to_csv_bytes(pd.DataFrame({"name": ["=1+1", "Poste"], "floor_area_m2": [120.5, 80]}))
>>> data.decode("utf-8-sig").splitlines()
['Nom;Surface (m²)', "'=1+1;120,5", 'Poste;80,0']
"""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.domain import CONDITIONS, CONNECTIVITY, PREMISE_KINDS, TENURES

#: Folder of the DejaVu fonts on Debian (package fonts-dejavu-core).
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: French headers of the columns a user may export.
COLUMN_LABELS: dict[str, str] = {
    "rank": "Rang",
    "premise_id": "N° du local",
    "score_0_100": "Score (/100)",
    "completeness": "Complétude",
    "name": "Nom",
    "kind": "Type de local",
    "commune": "Commune",
    "insee_code": "Code INSEE",
    "address": "Adresse",
    "floor_area_m2": "Surface (m²)",
    "land_area_m2": "Terrain (m²)",
    "condition": "État",
    "tenure": "Mode de mise à disposition",
    "price_eur": "Prix (€)",
    "rent_eur_m2_year": "Loyer (€/m²/an)",
    "works_estimate_eur": "Travaux estimés (€)",
    "connectivity": "Connexion",
    "distance_m": "Distance (m)",
    "distance_km": "Distance (km)",
    "distance_to_station_m": "Distance à la gare (m)",
    "pmr_accessible": "Accessible PMR",
    "status": "Statut",
    "owner_org": "Propriétaire",
    "lon": "Longitude",
    "lat": "Latitude",
    "synthetic": "Donnée de démonstration",
}

_CODE_LABELS: dict[str, Mapping[str, str]] = {
    "kind": PREMISE_KINDS,
    "condition": CONDITIONS,
    "tenure": TENURES,
    "connectivity": CONNECTIVITY,
}


def neutralise(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe if a spreadsheet would read it as a formula.

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-3"), neutralise(-3), neutralise("ok")
    ('\\'=HYPERLINK("http://x")', "'-3", -3, 'ok')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_frame(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Return a copy ready to export: chosen columns, French codes labels and headers.

    Unknown columns keep their name; code columns (kind, condition, tenure,
    connectivity) show their French label; text cells are neutralised.

    >>> export_frame(pd.DataFrame({"kind": ["school"], "x": ["+1"]})).to_dict("records")
    [{'Type de local': 'École', 'x': "'+1"}]
    """
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    out = frame.loc[:, cols].copy()
    for col, labels in _CODE_LABELS.items():
        if col in out.columns:
            out[col] = out[col].map(
                lambda v, lab=labels: lab.get(v, v) if isinstance(v, str) else v
            )
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise).astype(object)
    return out.rename(columns=lambda c: COLUMN_LABELS.get(c, c))


def to_csv_bytes(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> bytes:
    """Return the frame as CSV bytes for French spreadsheets (see module docstring)."""
    return (
        export_frame(frame, columns)
        .to_csv(index=False, sep=";", decimal=",", encoding="utf-8-sig")
        .encode("utf-8-sig")
    )


def to_xlsx_bytes(
    sheets: pd.DataFrame | Mapping[str, pd.DataFrame], columns: Iterable[str] | None = None
) -> bytes:
    """Return an XLSX workbook (one sheet per frame) with text cells never run as formulas.

    >>> import openpyxl
    >>> data = to_xlsx_bytes({"Résultats": pd.DataFrame({"name": ["=2*3"]})})
    >>> ws = openpyxl.load_workbook(io.BytesIO(data))["Résultats"]
    >>> ws["A1"].value, ws["A2"].value, ws["A2"].data_type
    ('Nom', "'=2*3", 's')
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    if isinstance(sheets, pd.DataFrame):
        sheets = {"Résultats": sheets}
    wb = Workbook()
    wb.remove(wb.active)
    for title, frame in sheets.items():
        ws = wb.create_sheet(title=str(title)[:31])
        out = export_frame(frame, columns)
        ws.append([str(c) for c in out.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in out.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever it starts with
        for i, col in enumerate(out.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in out.iloc[:200, i - 1]])
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(width + 2, 50)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


# --- PDF -------------------------------------------------------------------------

_TRANSLIT = {
    "€": "EUR",
    "œ": "oe",
    "Œ": "OE",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "–": "-",
    "—": "-",
    "≥": ">=",
    "≤": "<=",
    "·": "-",
    "\u202f": " ",
}


def transliterate(text: str) -> str:
    """Return ``text`` restricted to Latin-1 (for PDF core fonts), keeping French accents.

    >>> transliterate("Cœur de ville : 12 000 € ≥ budget")
    'Coeur de ville : 12 000 EUR >= budget'
    """
    out = "".join(_TRANSLIT.get(ch, ch) for ch in str(text))
    try:
        out.encode("latin-1")
        return out
    except UnicodeEncodeError:
        folded = unicodedata.normalize("NFKD", out)
        return "".join(ch for ch in folded if ch.encode("latin-1", "ignore"))


def _fmt_number(value: Any, unit: str = "", decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "inconnu"
    text = f"{float(value):,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return f"{text} {unit}".strip()


def premise_facts(premise: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return (label, value) pairs describing a premise, in French, unknowns named.

    >>> premise_facts({"kind": "school", "floor_area_m2": 450.0})[:2]
    [('Type', 'École'), ('Surface', '450 m²')]
    """

    def code(col: str, labels: Mapping[str, str]) -> str:
        v = premise.get(col)
        return labels.get(v, str(v)) if isinstance(v, str) and v else "inconnu"

    def yes_no(col: str) -> str:
        v = premise.get(col)
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            return "inconnu"
        return "oui" if bool(v) else "non"

    facts = [
        ("Type", code("kind", PREMISE_KINDS)),
        ("Surface", _fmt_number(premise.get("floor_area_m2"), "m²")),
        ("Commune", str(premise.get("commune") or premise.get("insee_code") or "inconnue")),
        ("Adresse", str(premise.get("address") or "non renseignée")),
        ("État", code("condition", CONDITIONS)),
        ("Mise à disposition", code("tenure", TENURES)),
        ("Prix", _fmt_number(premise.get("price_eur"), "€")),
        ("Loyer", _fmt_number(premise.get("rent_eur_m2_year"), "€/m²/an")),
        ("Travaux estimés", _fmt_number(premise.get("works_estimate_eur"), "€")),
        ("Connexion", code("connectivity", CONNECTIVITY)),
        ("Gare la plus proche", _fmt_number(premise.get("distance_to_station_m"), "m")),
        ("Accessible PMR", yes_no("pmr_accessible")),
    ]
    return facts


def _font(pdf) -> tuple[str, bool]:
    regular, bold = DEJAVU_DIR / "DejaVuSans.ttf", DEJAVU_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        return "DejaVu", True
    return "Helvetica", False


def premise_pdf(
    premise: Mapping[str, Any],
    *,
    project_name: str = "",
    score_0_100: float | None = None,
    completeness: float | None = None,
    contributions: pd.DataFrame | None = None,
    lines: Iterable[str] = (),
    failed: Iterable[str] = (),
    generated_at: dt.datetime | None = None,
) -> bytes:
    """Return a one-page A4 PDF describing a premise and why it matches a project.

    ``contributions`` has columns ``label`` and ``score`` (0-1) and
    optionally ``weight``; ``lines`` are the French explanation sentences.

    >>> pdf = premise_pdf({"name": "Ancienne poste", "kind": "post_office"}, score_0_100=72)
    >>> pdf[:5]
    b'%PDF-'
    """
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    family, unicode_ok = _font(pdf)

    def t(text: Any) -> str:
        return str(text) if unicode_ok else transliterate(str(text))

    width = pdf.w - 30
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(
        width, 8, t(premise.get("name") or "Local sans nom"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font(family, "", 10)
    subtitle = f"Fiche local n° {premise.get('premise_id', '?')}"
    if project_name:
        subtitle += f" · projet « {project_name} »"
    pdf.multi_cell(width, 5, t(subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if score_0_100 is not None:
        pdf.set_font(family, "B", 13)
        head = f"Score : {float(score_0_100):.0f}/100"
        if completeness is not None:
            head += f"   Complétude des données : {float(completeness) * 100:.0f} %"
        pdf.cell(width, 7, t(head), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    pdf.set_font(family, "B", 11)
    pdf.cell(width, 6, t("Caractéristiques"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    for label, value in premise_facts(premise):
        pdf.cell(55, 5, t(label))
        pdf.cell(width - 55, 5, t(value)[:90], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    if contributions is not None and len(contributions):
        pdf.set_font(family, "B", 11)
        pdf.cell(width, 6, t("Score par critère"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 9)
        bar_w = width - 75
        for row in contributions.head(14).itertuples(index=False):
            label = str(getattr(row, "label", "") or getattr(row, "criterion", ""))
            score = getattr(row, "score", float("nan"))
            y = pdf.get_y()
            pdf.cell(60, 5, t(label)[:38])
            pdf.set_fill_color(230, 230, 230)
            pdf.rect(pdf.l_margin + 60, y + 1, bar_w, 3, style="F")
            if score == score and score is not None:
                pdf.set_fill_color(31, 119, 180)
                pdf.rect(
                    pdf.l_margin + 60, y + 1, bar_w * max(min(float(score), 1), 0), 3, style="F"
                )
                text = f"{float(score) * 100:.0f}"
            else:
                text = "inconnu"
            pdf.set_xy(pdf.l_margin + 62 + bar_w, y)
            pdf.cell(13, 5, t(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    failed = list(failed)
    if failed:
        pdf.set_font(family, "B", 11)
        pdf.cell(width, 6, t("Contraintes non satisfaites"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 9)
        for reason in failed[:6]:
            pdf.multi_cell(width, 4.5, t(f"- {reason}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    lines = list(lines)
    if lines:
        pdf.set_font(family, "B", 11)
        pdf.cell(width, 6, t("Explication"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 9)
        for line in lines[:14]:
            if pdf.get_y() > pdf.h - 30:
                break  # one page, always
            pdf.multi_cell(width, 4.5, t(f"- {line}"), new_x="LMARGIN", new_y="NEXT")

    stamp = (generated_at or dt.datetime.now()).strftime("%d/%m/%Y %H:%M")
    note = f"Généré le {stamp} par l'outil de rapprochement locaux / tiers-lieux."
    if premise.get("synthetic"):
        note += " Donnée de démonstration (fictive)."
    pdf.set_xy(15, pdf.h - 15)
    pdf.set_font(family, "", 7)
    pdf.cell(width, 4, t(note))
    return bytes(pdf.output())
