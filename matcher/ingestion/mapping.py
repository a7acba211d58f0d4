"""Column mapping: recognise columns by their names *and* values, or follow an explicit mapping.

A mapping says, for each target field of a record, which column of the file
holds it: ``{"floor_area_m2": "Surface utile (m²)", "insee_code": "INSEE"}``.
It is guessed from the headers and the values (:func:`guess_mapping`): a
known layout (:mod:`matcher.ingestion.profiles`) says which columns to prefer;
a column that is empty (or ``NA``) on every row is never chosen while another
candidate has values, and a column whose values cannot be the field (a
département code offered as an INSEE code) is never chosen. Every column left
aside is explained in the guess's notes. An explicit mapping overrides the
guess and can be saved per source (:func:`save_mapping`), so the next import
of the same source needs no manual work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from matcher import settings
from matcher.errors import ImportFileError, ValidationError
from matcher.ingestion.columns import check_column, distinct_share, minimum_share
from matcher.ingestion.parsing import normalize_text
from matcher.ingestion.profiles import GENERIC, Profile, detect_profile
from matcher.ingestion.synonyms import (
    NOT_TOKENS,
    PREMISE_FIELD_LABELS,
    PREMISE_SYNONYMS,
    PROJECT_SYNONYMS,
    SYNONYMS_BY_KIND,
    TIERS_LIEUX_SYNONYMS,
)

__all__ = [
    "PREMISE_FIELD_LABELS",
    "PREMISE_SYNONYMS",
    "PROJECT_SYNONYMS",
    "SYNONYMS_BY_KIND",
    "TIERS_LIEUX_SYNONYMS",
    "MappingGuess",
    "MappingNote",
    "auto_mapping",
    "field_label",
    "guess_mapping",
    "load_mapping_file",
    "resolve_mapping",
    "save_mapping",
    "saved_mapping",
]

#: An identifier column must have at least this share of distinct values.
MIN_ID_DISTINCT = 0.8
#: A name column must have at least this share of distinct values (on 20 rows or more).
MIN_NAME_DISTINCT = 0.2
#: Fields that describe a premise: a file mapping none of them holds no premises.
_DESCRIBING = frozenset(
    {"name", "kind", "address", "floor_area_m2", "land_area_m2", "source_id", "status"}
)


def field_label(target: str, kind: str = "premises") -> str:
    """Return the French label of a target field (the code name if it has none).

    >>> field_label("floor_area_m2")
    'Surface de plancher (m²)'
    """
    if kind == "premises":
        return PREMISE_FIELD_LABELS.get(target, target)
    return target


def _names(kind: str) -> dict[str, tuple[str, ...]]:
    """Return the synonyms of each field, its normalised French label included."""
    synonyms = SYNONYMS_BY_KIND[kind]
    if kind != "premises":
        return synonyms
    return {
        t: (*names, normalize_text(PREMISE_FIELD_LABELS[t])) if t in PREMISE_FIELD_LABELS else names
        for t, names in synonyms.items()
    }


@dataclass(frozen=True)
class MappingNote:
    """Why a column was left aside, or what a chosen column lacks (French ``text``)."""

    column: str
    text: str
    #: True when the note is about a column the guess chose (an empty one).
    chosen: bool = False

    def applies(self, mapping: dict[str, str]) -> bool:
        """Return True if the note still holds for ``mapping`` (the user may have changed it)."""
        if not self.column:  # about the whole file: no describing field
            return not mapping.keys() & _DESCRIBING
        return (self.column in mapping.values()) == self.chosen


@dataclass
class MappingGuess:
    """The automatic mapping of a table, the layout recognised and why columns were left aside."""

    mapping: dict[str, str]
    profile: Profile = GENERIC
    notes: list[MappingNote] = field(default_factory=list)

    @property
    def recognised(self) -> str:
        """Return the French sentence naming the layout recognised."""
        return f"Fichier reconnu : {self.profile.label}."


def _fr_pct(share: float) -> str:
    return f"{round(100 * share)} %"


class _Guesser:
    """One guess: candidates per field in priority order, judged on the values."""

    def __init__(self, frame: pd.DataFrame, kind: str, profile: Profile) -> None:
        self.frame, self.kind, self.profile = frame, kind, profile
        self.columns = list(frame.columns)
        self.norm = {c: normalize_text(c) for c in self.columns}
        self.names = _names(kind)
        self.taken: set[str] = set()
        self.found: dict[str, str] = {}
        self.notes: dict[tuple[str, str], MappingNote] = {}
        self._checks: dict[tuple[str, str], tuple[bool, int]] = {}

    def judge(self, column: str, target: str) -> tuple[bool, int]:
        """Return (values fit or too few to judge, filled cells) and note why a column is unfit."""
        key = (column, target)
        if key in self._checks:
            return self._checks[key]
        check = check_column(self.frame[column], target, self.kind)
        fits = True
        label = field_label(target, self.kind)
        if check.decisive and check.share < minimum_share(target, self.kind):
            fits = False
            example = f" (ex. « {check.example} »)" if check.example else ""
            self.notes[key] = MappingNote(
                column,
                f"« {column} » non retenue pour « {label} » : {_fr_pct(1 - check.share)} des "
                f"valeurs ne conviennent pas{example}.",
            )
        elif check.decisive and target == "source_id":
            share = distinct_share(self.frame[column])
            if share < MIN_ID_DISTINCT:
                fits = False
                self.notes[key] = MappingNote(
                    column,
                    f"« {column} » non retenue comme identifiant : seulement "
                    f"{_fr_pct(share)} de valeurs distinctes.",
                )
        elif check.filled >= 20 and target == "name":
            share = distinct_share(self.frame[column])
            if share < MIN_NAME_DISTINCT:
                fits = False
                self.notes[key] = MappingNote(
                    column,
                    f"« {column} » non retenue pour « {label} » : seulement "
                    f"{_fr_pct(share)} de valeurs distinctes, ce n'est pas un nom de local.",
                )
        self._checks[key] = (fits, check.filled)
        return fits, check.filled

    def candidates(self, target: str, stage: str) -> list[str]:
        """Return the free columns that a stage offers for ``target`` (prefer, exact or prefix)."""
        if stage == "prefer":
            wanted = self.profile.prefer.get(target, ())
            return [c for n in wanted for c in self.columns if self.norm[c] == n]
        out = []
        banned = NOT_TOKENS.get(target, frozenset())
        for name in self.names[target]:
            for c in self.columns:
                n = self.norm[c]
                exact = stage == "exact" and n == name
                prefix = (
                    stage == "prefix"
                    and n.startswith(name + "_")
                    and not banned & set(n.split("_"))
                )
                if exact or prefix:
                    out.append(c)
        return out

    def run(self, *, with_values: bool) -> None:
        for stage in ("prefer", "exact", "prefix"):
            for target in self.names:
                if target in self.found or target in self.profile.exclude:
                    continue
                for c in self.candidates(target, stage):
                    if c in self.taken:
                        continue
                    fits, filled = self.judge(c, target)
                    if not fits or (with_values and filled == 0 and len(self.frame)):
                        continue
                    self.found[target] = c
                    self.taken.add(c)
                    break

    def guess(self) -> MappingGuess:
        self.run(with_values=True)
        self.run(with_values=False)  # empty columns, only where nothing else fits
        notes: list[MappingNote] = []
        for target, column in self.found.items():
            if len(self.frame) and self.judge(column, target)[1] == 0:
                label = field_label(target, self.kind)
                named = "" if normalize_text(label) == self.norm[column] else f" ({label})"
                notes.append(
                    MappingNote(
                        column,
                        f"« {column} »{named} est vide sur toutes les lignes : cette "
                        "information restera inconnue.",
                        chosen=True,
                    )
                )
        for column, note in ((k[0], v) for k, v in self.notes.items()):
            if column not in self.taken:
                notes.append(note)
        for target in self.names:
            if target in self.profile.exclude:
                continue
            empty = [
                c
                for stage in ("prefer", "exact")
                for c in self.candidates(target, stage)
                if c not in self.taken and self.judge(c, target)[1] == 0
            ]
            for c in dict.fromkeys(empty):
                notes.append(
                    MappingNote(c, f"« {c} » est vide sur toutes les lignes : laissée de côté.")
                )
        if self.kind == "premises" and len(self.columns) and not self.found.keys() & _DESCRIBING:
            notes.append(
                MappingNote(
                    "",
                    "Aucune colonne ne décrit un local (nom, type, adresse, surface) : chaque "
                    "ligne deviendrait un local sans description. Ce fichier décrit peut-être "
                    "des communes plutôt que des locaux ; vérifiez la correspondance.",
                )
            )
        order = list(self.names)
        mapping = dict(sorted(self.found.items(), key=lambda kv: order.index(kv[0])))
        return MappingGuess(mapping, self.profile, list(dict.fromkeys(notes)))


def guess_mapping(
    frame: pd.DataFrame, kind: str = "premises", profile: Profile | None = None
) -> MappingGuess:
    """Return the automatic mapping of a table from its headers and values, with its notes.

    The layout is recognised first (``profile``, else :func:`detect_profile`);
    its preferred columns are tried first, then exact names, then names that
    start with a known name (``surface_utile_m2``). A column serves one field
    only; a column empty on every row is taken only if no other candidate has
    values; a column whose values do not fit the field is never taken.

    >>> f = pd.DataFrame({"bati_surface": ["NA"] * 6, "surface": ["120", "80", "95", "60", "40", "NA"]})
    >>> guess_mapping(f).mapping
    {'floor_area_m2': 'surface'}
    """
    profile = profile or detect_profile(frame, kind)
    return _Guesser(frame, kind, profile).guess()


def auto_mapping(columns: list[str], kind: str = "premises") -> dict[str, str]:
    """Return ``{target field: file column}`` recognised from the headers alone.

    Exact normalised matches win over prefix matches (``surface_utile_m2``
    matches ``surface_utile``); a column is used for one field only. With the
    values at hand, :func:`guess_mapping` chooses better.

    >>> auto_mapping(["Code INSEE", "Superficie (m²)", "Lat", "Lon", "Commune"])
    {'commune_name': 'Commune', 'insee_code': 'Code INSEE', 'lon': 'Lon', 'lat': 'Lat', 'floor_area_m2': 'Superficie (m²)'}
    """
    return guess_mapping(pd.DataFrame(columns=columns), kind, GENERIC).mapping


def _target_of(key: str, kind: str) -> str | None:
    """Return the target field an explicit mapping key names (code name or French label)."""
    synonyms = SYNONYMS_BY_KIND[kind]
    if key in synonyms:
        return key
    if kind == "premises":
        wanted = normalize_text(key)
        for target, label in PREMISE_FIELD_LABELS.items():
            if normalize_text(label) == wanted:
                return target
    return None


def resolve_mapping(
    columns: list[str],
    kind: str = "premises",
    explicit: dict[str, str] | None = None,
    guess: dict[str, str] | None = None,
) -> dict[str, str]:
    """Return the mapping to use: the guess (headers only if none), overridden by ``explicit``.

    Keys of ``explicit`` are field codes or their French labels. An explicit
    entry whose value is empty removes the guess. Raises :class:`ValidationError`
    if the explicit mapping names a column the file does not have, or an
    unknown target field.
    """
    synonyms = SYNONYMS_BY_KIND[kind]
    mapping = dict(guess) if guess is not None else auto_mapping(columns, kind)
    for key, column in (explicit or {}).items():
        target = _target_of(key, kind)
        if target is None:
            allowed = ", ".join(
                f"{t} ({field_label(t, kind)})" if kind == "premises" else t for t in synonyms
            )
            raise ValidationError(
                f"Correspondance de colonnes : champ cible inconnu « {key} » "
                f"(champs possibles : {allowed}).",
                field=key,
                value=column,
            )
        if not column:
            mapping.pop(target, None)
            continue
        if column not in columns:
            raise ValidationError(
                f"Correspondance de colonnes : la colonne « {column} » (pour "
                f"« {field_label(target, kind)} ») n'existe pas dans le fichier "
                f"(colonnes : {', '.join(columns)}).",
                field=target,
                value=column,
            )
        for other, col in list(mapping.items()):
            if col == column and other != target:
                del mapping[other]
        mapping[target] = column
    return mapping


def mapping_dir() -> Path:
    """Return the folder where explicit mappings are saved, one JSON file per source."""
    return settings.data_dir() / "mappings"


def _safe_source(source: str) -> str:
    name = normalize_text(source)
    if not name:
        raise ValidationError(f"Nom de source invalide : « {source} ».", value=source)
    return name


def load_mapping_file(path: str | Path) -> dict[str, str]:
    """Return the mapping stored in a JSON file (``{"columns": {...}}`` or a flat object)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise ImportFileError(
            f"Fichier de correspondance introuvable : « {path} ».", path=str(path)
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportFileError(
            f"Fichier de correspondance « {path.name} » illisible : JSON invalide ({exc}).",
            path=str(path),
        ) from exc
    columns = data.get("columns", data) if isinstance(data, dict) else None
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise ImportFileError(
            f"Fichier de correspondance « {path.name} » : attendu un objet "
            '{"champ": "colonne du fichier"}.',
            path=str(path),
        )
    return dict(columns)


def save_mapping(source: str, mapping: dict[str, str]) -> Path:
    """Save the explicit mapping of a source; return the file written."""
    path = mapping_dir() / f"{_safe_source(source)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"source": source, "columns": mapping}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    return path


def saved_mapping(source: str | None) -> dict[str, str] | None:
    """Return the mapping saved for ``source``, or None."""
    if not source:
        return None
    path = mapping_dir() / f"{_safe_source(source)}.json"
    return load_mapping_file(path) if path.exists() else None
