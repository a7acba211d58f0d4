"""The one-page PDF sheet of a premise: its facts, its score and why, in French.

The sheet is first built as plain data (:class:`PremiseSheet`, what tests
read) and then drawn (:func:`premise_pdf`). Every fact comes from one
premise record through the field registry, so a value is written once:
« Accessible PMR : non » when the owner said no, « non renseigné » when
nobody said, never both. The generation time is Paris time.

The sheet uses DejaVu Sans when installed (every French character),
otherwise a core font with a transliteration of what Latin-1 lacks.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from matcher.fields import PREMISE_FIELDS, RESULT_FIELDS, clean_text, is_unknown

#: Folder of the DejaVu fonts on Debian (package fonts-dejavu-core).
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
PARIS: Final = ZoneInfo("Europe/Paris")

#: Facts of the sheet, in order (fields of the premise record).
FACTS: Final[tuple[str, ...]] = (
    "kind",
    "floor_area_m2",
    "land_area_m2",
    "levels",
    "address",
    "condition",
    "tenure",
    "price_eur",
    "rent_eur_m2_year",
    "works_estimate_eur",
    "available_from",
    "connectivity",
    "distance_to_station_m",
    "parking_spaces",
    "pmr_accessible",
    "ground_floor_access",
    "pollution",
    "heritage_listed",
)


@dataclass(frozen=True)
class PremiseSheet:
    """Everything the PDF sheet prints, as text."""

    title: str
    subtitle: str
    headline: str
    facts: list[tuple[str, str]]
    criteria: list[tuple[str, float | None]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    description: str = ""
    footer: str = ""


def paris_time(moment: dt.datetime | None = None) -> dt.datetime:
    """Return ``moment`` (now by default; naive means UTC) in Paris time.

    >>> paris_time(dt.datetime(2025, 7, 1, 10, 0)).strftime("%H:%M")
    '12:00'
    """
    moment = moment or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(PARIS)


def premise_facts(premise: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return (label, value) pairs describing a premise, in French, unknowns named.

    >>> premise_facts({"kind": "school", "floor_area_m2": 450.0, "pmr_accessible": False})[:2]
    [('Type de local', 'École'), ('Commune', 'non renseigné')]
    """
    commune = premise.get("commune") or premise.get("insee_code")
    facts = [
        (PREMISE_FIELDS["kind"].label, PREMISE_FIELDS["kind"].format(premise.get("kind"))),
        ("Commune", clean_text(commune) if not is_unknown(commune) else "non renseigné"),
    ]
    for name in FACTS[1:]:
        spec = PREMISE_FIELDS[name]
        facts.append((spec.label, clean_text(spec.format(premise.get(name)))))
    if not is_unknown(premise.get("owner_org")):
        facts.append(("Propriétaire", clean_text(premise["owner_org"])))
    return facts


def premise_sheet(
    premise: Mapping[str, Any],
    *,
    project_name: str = "",
    score_0_100: float | None = None,
    completeness: float | None = None,
    contributions: Any = None,
    lines: Iterable[str] = (),
    failed: Iterable[str] = (),
    generated_at: dt.datetime | None = None,
) -> PremiseSheet:
    """Return the sheet of a premise (facts from ``premise``, score and explanation lines).

    ``contributions`` has columns ``label`` and ``score`` (0-1) and
    optionally ``weight`` (criteria of weight 0 are left out).

    >>> sheet = premise_sheet({"premise_id": 7, "name": "Poste", "kind": "post_office"},
    ...                       score_0_100=71.5, completeness=0.769,
    ...                       generated_at=dt.datetime(2025, 1, 15, 8, 30, tzinfo=dt.UTC))
    >>> sheet.headline, sheet.footer[:40]
    ('Score : 72/100 · complétude des données : 77 %', 'Généré le 15/01/2025 à 09:30 (heure de P')
    """
    title = clean_text(premise.get("name") or "") or "Local sans nom"
    number = premise.get("premise_id", premise.get("id"))
    subtitle = f"Fiche du local n° {RESULT_FIELDS['premise_id'].format(number, unknown='?')}"
    if project_name:
        subtitle += f" · projet « {clean_text(project_name)} »"
    headline = ""
    if score_0_100 is not None:
        headline = f"Score : {RESULT_FIELDS['score_0_100'].format(score_0_100)}"
        if completeness is not None:
            headline += (
                f" · complétude des données : {RESULT_FIELDS['completeness'].format(completeness)}"
            )
    criteria: list[tuple[str, float | None]] = []
    if contributions is not None and len(contributions):
        for row in contributions.to_dict("records"):
            if "weight" in row and not (row["weight"] or 0) > 0:
                continue
            score = row.get("score")
            known = row.get("known", True)
            criteria.append(
                (clean_text(row.get("label") or row.get("criterion") or ""),
                 None if is_unknown(score) or known is False else float(score))
            )  # fmt: skip
    stamp = paris_time(generated_at)
    footer = (
        f"Généré le {stamp:%d/%m/%Y} à {stamp:%H:%M} (heure de Paris) par l'outil de "
        "rapprochement locaux / tiers-lieux."
    )
    if premise.get("synthetic"):
        footer += " Donnée de démonstration (fictive)."
    return PremiseSheet(
        title=title,
        subtitle=subtitle,
        headline=headline,
        facts=premise_facts(premise),
        criteria=criteria,
        failed=[clean_text(f) for f in failed],
        lines=[clean_text(line) for line in lines],
        description=clean_text(premise.get("description") or "", multiline=True),
        footer=footer,
    )


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
    "→": "->",
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


def _font(pdf) -> tuple[str, bool]:
    regular, bold = DEJAVU_DIR / "DejaVuSans.ttf", DEJAVU_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        return "DejaVu", True
    return "Helvetica", False


def premise_pdf(sheet: PremiseSheet | Mapping[str, Any], **kwargs: Any) -> bytes:
    """Return a one-page A4 PDF of a premise sheet (or of a premise, with :func:`premise_sheet`'s
    keyword arguments).

    >>> pdf = premise_pdf({"name": "Ancienne poste", "kind": "post_office"}, score_0_100=72)
    >>> pdf[:5]
    b'%PDF-'
    """
    from fpdf import FPDF

    if not isinstance(sheet, PremiseSheet):
        sheet = premise_sheet(sheet, **kwargs)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    pdf.set_title(sheet.title)
    family, unicode_ok = _font(pdf)

    def t(text: Any) -> str:
        return str(text) if unicode_ok else transliterate(str(text))

    width = pdf.w - 30
    bottom = pdf.h - 22

    def heading(text: str) -> None:
        pdf.set_font(family, "B", 11)
        pdf.cell(width, 6, t(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 9)

    pdf.set_font(family, "B", 16)
    pdf.multi_cell(width, 8, t(sheet.title)[:120], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    pdf.multi_cell(width, 5, t(sheet.subtitle)[:200], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if sheet.headline:
        pdf.set_font(family, "B", 12)
        pdf.cell(width, 7, t(sheet.headline), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    heading("Caractéristiques")
    half = width / 2
    for i, (label, value) in enumerate(sheet.facts):
        x = pdf.l_margin + (half if i % 2 else 0)
        if i % 2 == 0 and i:
            pdf.ln(4.6)
        pdf.set_x(x)
        pdf.set_font(family, "B", 8)
        pdf.cell(34, 4.6, t(label)[:30])
        pdf.set_font(family, "", 8)
        pdf.cell(half - 36, 4.6, t(value)[:44])
    pdf.ln(7)

    if sheet.description:
        heading("Description")
        pdf.multi_cell(width, 4.3, t(sheet.description[:600]), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    if sheet.criteria:
        heading("Score par critère")
        bar_w = width - 75
        for label, score in sheet.criteria[:14]:
            y = pdf.get_y()
            pdf.cell(60, 5, t(label)[:38])
            pdf.set_fill_color(230, 230, 230)
            pdf.rect(pdf.l_margin + 60, y + 1, bar_w, 3, style="F")
            if score is not None:
                pdf.set_fill_color(31, 119, 180)
                pdf.rect(pdf.l_margin + 60, y + 1, bar_w * max(min(score, 1.0), 0.0), 3, style="F")
            text = (
                RESULT_FIELDS["score_0_100"].format(score * 100)
                if score is not None
                else "non renseigné"
            )
            pdf.set_xy(pdf.l_margin + 62 + bar_w, y)
            pdf.cell(13, 5, t(text.replace("/100", "")), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    if sheet.failed:
        heading("Contraintes non satisfaites")
        for reason in sheet.failed[:6]:
            pdf.multi_cell(width, 4.5, t(f"- {reason}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    if sheet.lines:
        heading("Explication")
        for line in sheet.lines[:14]:
            if pdf.get_y() > bottom:
                break  # one page, always
            pdf.multi_cell(width, 4.5, t(f"- {line}"), new_x="LMARGIN", new_y="NEXT")

    pdf.set_xy(15, pdf.h - 15)
    pdf.set_font(family, "", 7)
    pdf.cell(width, 4, t(sheet.footer))
    return bytes(pdf.output())
