"""Bounds of the file readers, and the French refusal that names the file and the limit.

Every reader checks these bounds *before* the step whose cost they bound: the
zip directory before any member is inflated, the sheet's cell references
before the workbook library allocates the sheet, the line length before a
line is split, the size of a JSON file before it is parsed. A file beyond a
bound is refused with :class:`~matcher.errors.ImportFileError`, whose message
says which bound, its value and the environment variable that changes it.

The values live in :mod:`matcher.settings` (one place, read from the
environment); :func:`current` takes a snapshot so that a test can change
``matcher.settings`` and see the effect.

>>> limits = current()
>>> limits.max_columns >= 100 and limits.max_field_chars >= 32_767
True
>>> fr_int(1234567)
'1 234 567'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matcher import settings
from matcher.errors import ImportFileError


@dataclass(frozen=True)
class ReadLimits:
    """The bounds applied to one read (sizes in bytes, lengths in characters)."""

    max_file_bytes: int
    max_uncompressed_bytes: int
    max_compression_ratio: int
    max_zip_members: int
    max_rows: int
    max_columns: int
    max_cells: int
    max_field_chars: int
    max_line_chars: int
    max_text_chars: int
    max_json_bytes: int
    max_json_nodes: int
    max_json_depth: int


#: What each bound is called in messages, and the variable that sets it.
LABELS: dict[str, tuple[str, str]] = {
    "max_file_bytes": ("taille du fichier", "MATCHER_MAX_IMPORT_BYTES"),
    "max_uncompressed_bytes": ("taille décompressée", "MATCHER_MAX_UNCOMPRESSED_BYTES"),
    "max_compression_ratio": ("taux de compression", "MATCHER_MAX_COMPRESSION_RATIO"),
    "max_zip_members": ("nombre de fichiers de l'archive", "MATCHER_MAX_ZIP_MEMBERS"),
    "max_rows": ("nombre de lignes", "MATCHER_MAX_ROWS"),
    "max_columns": ("nombre de colonnes", "MATCHER_MAX_COLUMNS"),
    "max_cells": ("nombre de cellules", "MATCHER_MAX_CELLS"),
    "max_field_chars": ("longueur d'un champ", "MATCHER_MAX_FIELD_CHARS"),
    "max_line_chars": ("longueur d'une ligne", "MATCHER_MAX_LINE_CHARS"),
    "max_text_chars": ("volume de texte de la feuille", "MATCHER_MAX_TEXT_CHARS"),
    "max_json_bytes": ("taille d'un fichier GeoJSON", "MATCHER_MAX_JSON_BYTES"),
    "max_json_nodes": ("nombre d'objets et de listes JSON", "MATCHER_MAX_JSON_NODES"),
    "max_json_depth": ("profondeur d'imbrication JSON", "MATCHER_MAX_JSON_DEPTH"),
}


def current() -> ReadLimits:
    """Return the bounds in force (read from :mod:`matcher.settings` at each call)."""
    return ReadLimits(
        max_file_bytes=settings.MAX_IMPORT_BYTES,
        max_uncompressed_bytes=settings.MAX_UNCOMPRESSED_BYTES,
        max_compression_ratio=settings.MAX_COMPRESSION_RATIO,
        max_zip_members=settings.MAX_ZIP_MEMBERS,
        max_rows=settings.MAX_ROWS,
        max_columns=settings.MAX_COLUMNS,
        max_cells=settings.MAX_CELLS,
        max_field_chars=settings.MAX_FIELD_CHARS,
        max_line_chars=settings.MAX_LINE_CHARS,
        max_text_chars=settings.MAX_TEXT_CHARS,
        max_json_bytes=settings.MAX_JSON_BYTES,
        max_json_nodes=settings.MAX_JSON_NODES,
        max_json_depth=settings.MAX_JSON_DEPTH,
    )


def fr_int(value: int | float) -> str:
    """Return an integer written the French way, with a space between thousands.

    >>> fr_int(131072), fr_int(12)
    ('131 072', '12')
    """
    return f"{int(value):,}".replace(",", " ")


def _fr_amount(key: str, value: int | float) -> str:
    if key.endswith("_bytes"):
        if value >= 2**20:
            return f"{value / 2**20:.0f} Mo".replace(".", ",")
        return f"{fr_int(value)} octets"
    return fr_int(value)


def refuse(
    path: Path | str,
    key: str,
    found: int | float | None,
    *,
    where: str = "",
    line: int | None = None,
    advice: str = "",
) -> ImportFileError:
    """Return the error refusing ``path`` because bound ``key`` is exceeded.

    ``found`` is the value met (None when the reader stopped as soon as the
    bound was crossed); ``where`` locates it (« ligne 12 », « feuille Export »).

    >>> str(refuse("a.csv", "max_columns", 5000, advice="Supprimez les colonnes inutiles."))
    '« a.csv » dépasse la limite de nombre de colonnes : 5 000 pour 4 096 au plus (MATCHER_MAX_COLUMNS). Supprimez les colonnes inutiles.'
    """
    name = Path(path).name
    label, env = LABELS[key]
    limit = getattr(current(), key)
    seen = "" if found is None else f"{_fr_amount(key, found)} pour "
    place = f", {where}" if where else ""
    message = (
        f"« {name} »{place} dépasse la limite de {label} : {seen}"
        f"{_fr_amount(key, limit)} au plus ({env})."
    )
    if advice:
        message += " " + advice
    return ImportFileError(message, path=str(path), line=line, value=found)
