"""Tables a user reads or downloads: French headers with units, rounded values, CSV, XLSX.

One formatting path for the screen and the files, driven by the field
registry (:mod:`matcher.fields`): headers are the fields' French labels with
their unit (« Surface de plancher (m²) », « Distance (km) »), numbers are
rounded to the field's decimals (no more « 82,36508541007846 »), codes show
their French label, ids stay integers (never « 3.0 »).

* CSV is written for French spreadsheets (``;`` separator, ``,`` decimal,
  UTF-8 with BOM); XLSX keeps numbers as numbers with a thousands format.
* Every text cell is cleaned of control characters (a NUL stored in the
  database never breaks an export) and, when a spreadsheet would run it as
  a formula (starting with ``=``, ``+``, ``-``, ``@``), neutralised with a
  leading apostrophe (OWASP "CSV injection").
* The one-page PDF sheet of a premise lives in :mod:`matcher.pdf_sheet` and
  is re-exported here (:func:`premise_pdf`).

>>> import pandas as pd
>>> data = to_csv_bytes(pd.DataFrame({"name": ["=1+1", "Poste"], "floor_area_m2": [120.46, 80]}))
>>> data.decode("utf-8-sig").splitlines()
['Nom;Surface de plancher (m²)', "'=1+1;120", 'Poste;80']
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import pandas as pd

from matcher.fields import (
    IDENTIFIER_FIELDS,
    FieldSpec,
    clean_text,
    format_date,
    fr_number,
    is_unknown,
    round_half_up,
    spec_for,
)
from matcher.pdf_sheet import PremiseSheet, premise_pdf, premise_sheet

__all__ = [
    "RESULT_COLUMNS",
    "PremiseSheet",
    "display_table",
    "export_frame",
    "neutralise",
    "premise_pdf",
    "premise_sheet",
    "results_display",
    "sort_results",
    "SORT_KEYS",
    "compare_table",
    "criteria_scores",
    "format_date",
    "fr_count",
    "fr_number",
    "price_or_rent",
    "to_csv_bytes",
    "to_xlsx_bytes",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: Columns of an exported search result, in order (when present).
RESULT_COLUMNS: Final[tuple[str, ...]] = (
    "rank",
    "premise_id",
    "score_0_100",
    "completeness",
    "name",
    "kind",
    "commune",
    "departement",
    "insee_code",
    "floor_area_m2",
    "tenure",
    "price_eur",
    "rent_eur_m2_year",
    "distance_m",
    "condition",
    "connectivity",
    "available_from",
    "owner_org",
    "explanation",
    "failed",
    "missing",
)


def neutralise(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe if a spreadsheet would read it as a formula.

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-3"), neutralise(-3), neutralise("ok")
    ('\\'=HYPERLINK("http://x")', "'-3", -3, 'ok')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _criterion_spec(column: str, criteria: Mapping[str, str] | None) -> FieldSpec | None:
    """Return a display spec for ``score_<criterion>`` columns (0-1 shown out of 100)."""
    if not column.startswith("score_") or column == "score_0_100":
        return None
    code = column[len("score_") :]
    label = (criteria or {}).get(code)
    if label is None:
        return None
    return FieldSpec(
        name=column, label=f"Score « {label} »", kind="number", unit="/100", display_scale=100.0
    )


def _spec(column: str, entity: str, criteria: Mapping[str, str] | None) -> FieldSpec | None:
    return _criterion_spec(column, criteria) or spec_for(column, entity=entity)


def _text_cell(value: Any) -> Any:
    if is_unknown(value):
        return None
    if isinstance(value, list | tuple):
        value = "\n".join(str(v) for v in value)
    return neutralise(clean_text(value, multiline=True))


def _export_value(spec: FieldSpec | None, value: Any) -> Any:
    """Return the cell of a file: a rounded number, a French label, or cleaned text."""
    if is_unknown(value) if not isinstance(value, list | tuple) else not value:
        return None
    if spec is None:
        if isinstance(value, float):
            return round_half_up(value, 2)
        return _text_cell(value) if isinstance(value, str | list | tuple) else value
    if spec.kind in ("number", "integer"):
        return spec.shown_number(value)
    if spec.kind in ("code", "codes", "boolean", "date"):
        return _text_cell(spec.format(value))
    return _text_cell(value)


def _columns(frame: pd.DataFrame, columns: Iterable[str] | None) -> list[str]:
    return [c for c in dict.fromkeys(columns or frame.columns) if c in frame.columns]


def export_frame(
    frame: pd.DataFrame,
    columns: Iterable[str] | None = None,
    *,
    entity: str = "premise",
    criteria: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return a copy ready to export: chosen columns, rounded values, French labels and headers.

    ``criteria`` maps criterion codes to French labels, so that ``score_<code>``
    columns (0-1) are exported out of 100 with their label.

    >>> export_frame(pd.DataFrame({"kind": ["school"], "premise_id": [3.0], "x": ["+1"]})).to_dict("records")
    [{'Type de local': 'École', 'N° du local': 3, 'x': "'+1"}]
    """
    cols = _columns(frame, columns)
    out = {}
    headers = []
    for col in cols:
        spec = _spec(col, entity, criteria)
        headers.append(spec.header if spec is not None else col)
        values = [_export_value(spec, v) for v in frame[col].tolist()]
        integer = spec is not None and spec.kind in ("number", "integer") and spec.decimals == 0
        out[col] = pd.Series(values, index=frame.index, dtype="Int64" if integer else object)
    result = pd.DataFrame(out, index=frame.index)
    result.columns = headers
    return result.reset_index(drop=True)


def to_csv_bytes(
    frame: pd.DataFrame,
    columns: Iterable[str] | None = None,
    *,
    entity: str = "premise",
    criteria: Mapping[str, str] | None = None,
) -> bytes:
    """Return the frame as CSV bytes for French spreadsheets (see module docstring)."""
    out = export_frame(frame, columns, entity=entity, criteria=criteria)
    for col in out.columns:  # one line per row: a multi-line text becomes "a ; b"
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: v.replace("\n", " ; ") if isinstance(v, str) else v)
    return out.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def _number_format(spec: FieldSpec | None) -> str | None:
    if spec is None or spec.kind not in ("number", "integer"):
        return None
    if spec.name == "rank" or spec.name in IDENTIFIER_FIELDS:  # no thousands separator
        return "0"
    return "#,##0" if spec.decimals == 0 else "#,##0." + "0" * spec.decimals


def to_xlsx_bytes(
    sheets: pd.DataFrame | Mapping[str, pd.DataFrame],
    columns: Iterable[str] | None = None,
    *,
    entity: str = "premise",
    criteria: Mapping[str, str] | None = None,
) -> bytes:
    """Return an XLSX workbook (one sheet per frame) with text cells never run as formulas.

    Numbers stay numbers (French Excel shows « 1 234,5 » from the thousands format).

    >>> import openpyxl
    >>> data = to_xlsx_bytes({"Résultats": pd.DataFrame({"name": ["=2*3\\x00"]})})
    >>> ws = openpyxl.load_workbook(io.BytesIO(data))["Résultats"]
    >>> ws["A1"].value, ws["A2"].value, ws["A2"].data_type
    ('Nom', "'=2*3", 's')
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    if isinstance(sheets, pd.DataFrame):
        sheets = {"Résultats": sheets}
    wb = Workbook()
    wb.remove(wb.active)
    for title, frame in sheets.items():
        ws = wb.create_sheet(title=clean_text(title)[:31] or "Feuille")
        cols = _columns(frame, columns)
        specs = [_spec(c, entity, criteria) for c in cols]
        out = export_frame(frame, cols, entity=entity, criteria=criteria)
        ws.append([str(c) for c in out.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        formats = [_number_format(s) for s in specs]
        for row in out.itertuples(index=False, name=None):
            ws.append([None if is_unknown(v) else v for v in row])
            for cell, fmt in zip(ws[ws.max_row], formats, strict=True):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever it starts with
                    if "\n" in cell.value:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                elif fmt is not None and cell.value is not None:
                    cell.number_format = fmt
        for i, col in enumerate(out.columns, start=1):
            sample = [len(str(v)) for v in out.iloc[:200, i - 1] if v is not None]
            width = max([len(str(col)), *[min(n, 60) for n in sample]])
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(width + 2, 60)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- tables shown on screen ----------------------------------------------------------------


def display_table(
    rows: Sequence[Mapping[str, Any]] | pd.DataFrame,
    columns: Sequence[str],
    *,
    entity: str = "premise",
    headers: Mapping[str, str] | None = None,
    keep_numbers: Iterable[str] = (),
) -> pd.DataFrame:
    """Return a table of French text cells: labels, « 1 234,5 m² », « oui », dates, ids as integers.

    ``headers`` overrides a column's header; columns in ``keep_numbers`` stay
    numeric (rounded, integer when the field has no decimals) so that a
    progress bar or a numeric sort still works on them.

    >>> display_table([{"id": 3.0, "floor_area_m2": 1234.5, "pmr_accessible": None}],
    ...               ["id", "floor_area_m2", "pmr_accessible"]).to_dict("records")
    [{'N°': '3', 'Surface de plancher': '1\\u202f235 m²', 'Accessible PMR': 'non renseigné'}]
    """
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    keep = set(keep_numbers)
    out: dict[str, Any] = {}
    for col in columns:
        spec = spec_for(col, entity=entity)
        header = (headers or {}).get(col) or (spec.label if spec is not None else col)
        values = frame[col].tolist() if col in frame.columns else [None] * len(frame)
        if col in keep and spec is not None:
            numbers = [spec.shown_number(v) for v in values]
            dtype = "Int64" if spec.decimals == 0 else "Float64"
            out[header] = pd.array(numbers, dtype=dtype)
        elif spec is not None:
            out[header] = [
                spec.format(v, unknown="—" if col in ("name", "address") else "non renseigné")
                for v in values
            ]
        else:
            out[header] = ["" if is_unknown(v) else clean_text(v) for v in values]
    return pd.DataFrame(out)


#: Sort keys of the search results: column, French label, descending by default.
SORT_KEYS: Final[dict[str, tuple[str, str, bool]]] = {
    "score": ("score_0_100", "Score", True),
    "distance": ("distance_m", "Distance", False),
    "surface": ("floor_area_m2", "Surface", True),
    "price": ("price_eur", "Prix de vente", False),
    "rent": ("rent_eur_m2_year", "Loyer", False),
    "completeness": ("completeness", "Complétude", True),
}


def sort_results(
    table: pd.DataFrame, key: str = "score", descending: bool | None = None
) -> pd.DataFrame:
    """Return the ranked results sorted by ``key`` (see :data:`SORT_KEYS`), unknown values last.

    Ties keep the engine's rank, so the order is stable.
    """
    column, _label, default_desc = SORT_KEYS[key]
    desc = default_desc if descending is None else descending
    if column not in table.columns:
        return table
    ordered = table.assign(_rank=table["rank"] if "rank" in table.columns else range(len(table)))
    ordered = ordered.sort_values(
        [column, "_rank"], ascending=[not desc, True], na_position="last", kind="mergesort"
    )
    return ordered.drop(columns="_rank")


def price_or_rent(row: Mapping[str, Any]) -> str:
    """Return « 120 000 € » or « 85 €/m²/an » (or both) for a premise, « non renseigné » if none.

    >>> price_or_rent({"price_eur": 120000.0, "rent_eur_m2_year": None})
    '120\\u202f000 €'
    """
    parts = []
    for col in ("price_eur", "rent_eur_m2_year"):
        if not is_unknown(row.get(col)):
            parts.append(spec_for(col).format(row.get(col)))
    return " · ".join(parts) or "non renseigné"


def results_display(table: pd.DataFrame) -> pd.DataFrame:
    """Return the main columns of ranked premises, readable on a phone (French, rounded).

    Columns: Rang, Score and Complétude (numbers, for the progress bar), then
    Commune, Type, Surface, Prix ou loyer, Distance and Nom as French text.
    """
    out = display_table(
        table,
        [
            "rank",
            "score_0_100",
            "completeness",
            "commune",
            "kind",
            "floor_area_m2",
            "distance_m",
            "name",
        ],
        headers={"completeness": "Complétude (%)", "floor_area_m2": "Surface"},
        keep_numbers=("rank", "score_0_100", "completeness"),
    )
    out.insert(6, "Prix ou loyer", [price_or_rent(r) for r in table.to_dict("records")])
    return out


def criteria_scores(contributions: pd.DataFrame) -> pd.Series:
    """Return each weighted criterion's score out of 100, indexed by its French label.

    >>> criteria_scores(pd.DataFrame({"label": ["Surface", "Coût"], "score": [0.5, 0.9],
    ...                               "weight": [1.0, 0.0]})).to_dict()
    {'Surface': 50.0}
    """
    kept = contributions
    if "weight" in kept.columns:
        kept = kept[kept["weight"] > 0]
    return pd.Series(
        (kept["score"] * 100).round(0).to_numpy(), index=kept["label"].tolist(), name="Score"
    )


def compare_table(
    table: pd.DataFrame, premise_ids: Sequence[Any], criteria: Mapping[str, str]
) -> pd.DataFrame:
    """Return premises side by side (one column each): score, completeness, facts, criteria.

    Values are French text (« 72/100 », « 450 m² », « École »), rows named in French.
    """
    sub = table.set_index("premise_id").loc[list(premise_ids)]
    rows: dict[str, list[str]] = {}
    for col, label in (("score_0_100", "Score /100"), ("completeness", "Complétude"),
                       ("kind", "Type"), ("commune", "Commune"), ("floor_area_m2", "Surface"),
                       ("distance_m", "Distance")):  # fmt: skip
        if col in sub.columns:
            spec = spec_for(col)
            rows[label] = [spec.format(v) if spec else clean_text(v) for v in sub[col]]
    rows["Prix ou loyer"] = [price_or_rent(r) for r in sub.reset_index().to_dict("records")]
    for code, label in criteria.items():
        col = f"score_{code}"
        if col in sub.columns:
            spec = _criterion_spec(col, criteria)
            rows[label] = [spec.format(v) for v in sub[col]]
    names = [clean_text(n) or f"Local n° {i}" for i, n in zip(sub.index, sub["name"], strict=True)]
    seen: dict[str, int] = {}
    unique = []
    for name in names:  # two premises of the same name stay two columns
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return pd.DataFrame(rows, index=unique).T


def fr_count(n: int, singular: str, plural: str | None = None) -> str:
    """Return « 1 local », « 4 655 locaux » (French thousands, agreed noun).

    >>> fr_count(4655, "local", "locaux"), fr_count(1, "demande")
    ('4\\u202f655 locaux', '1 demande')
    """
    word = singular if abs(n) < 2 else (plural or singular + "s")
    return f"{fr_number(n)} {word}"
