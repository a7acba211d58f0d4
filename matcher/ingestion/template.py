"""Template file to fill: French headers, one example row, the vocabulary on a second sheet.

Its headers are the fields' French labels, which the automatic mapping knows,
and its vocabulary cells are the French labels of the codes, which the
importer reads back: a filled template imports with no mapping to adjust.
"""

from __future__ import annotations

import csv
import io
from typing import Final

import pandas as pd

from matcher.domain import (
    CONDITIONS,
    CONNECTIVITY,
    POLLUTION,
    PREMISE_KINDS,
    PREMISE_STATUSES,
    TENURES,
)
from matcher.ingestion.report import neutralize_formula
from matcher.ingestion.synonyms import PREMISE_FIELD_LABELS

#: Fields of the template, in the order of its columns (an owner imports into
#: their own organisation: no owner column; one way of placing a premise is enough).
TEMPLATE_FIELDS: Final[tuple[str, ...]] = (
    "source_id",
    "name",
    "kind",
    "address",
    "postcode",
    "commune_name",
    "insee_code",
    "lon",
    "lat",
    "floor_area_m2",
    "land_area_m2",
    "levels",
    "ground_floor_access",
    "condition",
    "works_estimate_eur",
    "tenure",
    "price_eur",
    "rent_eur_m2_year",
    "available_from",
    "connectivity",
    "distance_to_station_m",
    "parking_spaces",
    "pmr_accessible",
    "pollution",
    "heritage_listed",
    "status",
)

#: The example row (French values, as a person would type them).
EXAMPLE: Final[dict[str, str]] = {
    "source_id": "LOC-001",
    "name": "Ancienne trésorerie",
    "kind": PREMISE_KINDS["public_building"],
    "address": "12 rue de la Mairie",
    "postcode": "81000",
    "commune_name": "Albi",
    "insee_code": "81004",
    "lon": "2,1464",
    "lat": "43,9289",
    "floor_area_m2": "240",
    "land_area_m2": "600",
    "levels": "2",
    "ground_floor_access": "oui",
    "condition": CONDITIONS["light_works"],
    "works_estimate_eur": "35 000",
    "tenure": TENURES["lease"],
    "price_eur": "",
    "rent_eur_m2_year": "60",
    "available_from": "01/09/2026",
    "connectivity": CONNECTIVITY["ftth"],
    "distance_to_station_m": "800",
    "parking_spaces": "6",
    "pmr_accessible": "non",
    "pollution": "",
    "heritage_listed": "non",
    "status": PREMISE_STATUSES["available"],
}

#: How to fill each field (the « Aide » sheet).
HELP: Final[dict[str, str]] = {
    "source_id": "Votre identifiant du local : le même identifiant met à jour le local au ré-import.",
    "name": "Nom usuel du local.",
    "kind": "Une valeur de la feuille « Vocabulaire ».",
    "address": "Numéro et voie.",
    "postcode": "5 chiffres.",
    "commune_name": "Nom de la commune (sert si le code INSEE et les coordonnées manquent).",
    "insee_code": "Code INSEE de la commune (5 caractères, 2A/2B pour la Corse).",
    "lon": "Degrés décimaux WGS84 (virgule ou point). Sans coordonnées, le local est placé à la mairie.",
    "lat": "Degrés décimaux WGS84.",
    "floor_area_m2": "Surface de plancher en m² (laisser vide si inconnue).",
    "land_area_m2": "Surface du terrain en m².",
    "levels": "Nombre entier de niveaux.",
    "ground_floor_access": "oui ou non.",
    "condition": "Une valeur de la feuille « Vocabulaire ».",
    "works_estimate_eur": "Montant estimé des travaux, en euros.",
    "tenure": "Une valeur de la feuille « Vocabulaire ».",
    "price_eur": "Prix de vente en euros (si vente).",
    "rent_eur_m2_year": "Loyer annuel en euros par m² (si location).",
    "available_from": "Date JJ/MM/AAAA.",
    "connectivity": "Une valeur de la feuille « Vocabulaire ».",
    "distance_to_station_m": "Distance à la gare la plus proche, en mètres.",
    "parking_spaces": "Nombre entier de places.",
    "pmr_accessible": "oui ou non.",
    "pollution": "Une valeur de la feuille « Vocabulaire ».",
    "heritage_listed": "oui ou non (bâtiment protégé ou d'intérêt patrimonial).",
    "status": "Une valeur de la feuille « Vocabulaire » (Disponible par défaut).",
}

_VOCABULARIES: Final[dict[str, dict[str, str]]] = {
    "kind": PREMISE_KINDS,
    "condition": CONDITIONS,
    "tenure": TENURES,
    "connectivity": CONNECTIVITY,
    "pollution": POLLUTION,
    "status": PREMISE_STATUSES,
}

TEMPLATE_SHEET = "Locaux"
VOCABULARY_SHEET = "Vocabulaire"
HELP_SHEET = "Aide"


def template_frame() -> pd.DataFrame:
    """Return the template's table: one column per field (French header), one example row.

    >>> template_frame().columns[:3].tolist()
    ['Identifiant', 'Nom du local', 'Type de local']
    """
    return pd.DataFrame(
        [[EXAMPLE[f] for f in TEMPLATE_FIELDS]],
        columns=[PREMISE_FIELD_LABELS[f] for f in TEMPLATE_FIELDS],
    )


def vocabulary_frame() -> pd.DataFrame:
    """Return the allowed values of each vocabulary field (« Champ », « Valeur à écrire »).

    >>> vocabulary_frame().iloc[0].tolist()
    ['Type de local', 'Bureau de poste']
    """
    rows = [
        (PREMISE_FIELD_LABELS[f], label)
        for f, vocabulary in _VOCABULARIES.items()
        for label in vocabulary.values()
    ]
    return pd.DataFrame(rows, columns=["Champ", "Valeur à écrire"])


def help_frame() -> pd.DataFrame:
    """Return how to fill each column (« Colonne », « Comment la remplir »)."""
    return pd.DataFrame(
        [(PREMISE_FIELD_LABELS[f], HELP[f]) for f in TEMPLATE_FIELDS],
        columns=["Colonne", "Comment la remplir"],
    )


def template_csv() -> bytes:
    """Return the template as CSV bytes (``;``, UTF-8 with BOM so spreadsheets read accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    frame = template_frame()
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow([neutralize_formula(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def vocabulary_csv() -> bytes:
    """Return the vocabulary as CSV bytes (the CSV template cannot hold a second sheet)."""
    buffer = io.StringIO()
    vocabulary_frame().to_csv(buffer, sep=";", index=False)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """Return the template workbook: « Locaux » (headers + example), « Vocabulaire », « Aide».

    Every cell is text, so that codes keep their leading zeros (« 01004 ») and
    nothing is read as a formula.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    sheets = (
        (TEMPLATE_SHEET, template_frame(), 22),
        (VOCABULARY_SHEET, vocabulary_frame(), 40),
        (HELP_SHEET, help_frame(), 60),
    )
    for i, (title, frame, width) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = title
        ws.append(list(frame.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            ws.append([neutralize_formula(v) for v in row])
        for cell in ws[2] if ws.max_row >= 2 else ():
            cell.number_format = "@"
        for column in ws.columns:
            ws.column_dimensions[column[0].column_letter].width = width
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
