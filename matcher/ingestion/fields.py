"""Typed columns with their issues: numbers, booleans, dates, vocabularies, texts.

Each helper reads one candidate column (text cells named by target field),
reports every bad cell with its line and the file's own column name, and
returns the typed Series plus the mask of rows that must be rejected.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from matcher.ingestion.columns import missing_mask
from matcher.ingestion.parsing import (
    map_vocabulary,
    normalize_text,
    parse_booleans,
    parse_numbers,
)
from matcher.ingestion.report import ValidationReport, is_formula_like
from matcher.ingestion.vocabulary import BOOLEAN_PHRASES


@dataclass
class Candidates:
    """Rows of one file renamed to target fields (text), with their lines and mapping.

    Cells meaning "unknown" (``NA``, ``-``, « non renseigné »...) are emptied on
    construction: a missing value is unknown, never an unreadable one.
    """

    frame: pd.DataFrame
    lines: np.ndarray
    mapping: dict[str, str]
    report: ValidationReport
    geometries: list | None = None
    #: ids already seen in this file (shared by the chunks of one file) -> first line.
    seen_ids: dict[str, int] = field(default_factory=dict)
    #: Known layout of the file (:class:`matcher.ingestion.profiles.Profile`), if any.
    profile: Any = None
    bad: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.frame = self.frame.reset_index(drop=True)
        for col in self.frame.columns:
            values = self.frame[col]
            if values.dtype == object or pd.api.types.is_string_dtype(values):
                missing = missing_mask(values)
                if missing.any():
                    self.frame[col] = values.where(~missing, "")
        self.bad = np.zeros(len(self.frame), dtype=bool)

    def text(self, name: str) -> pd.Series:
        """Return the stripped text column ``name`` ("" when absent)."""
        if name in self.frame.columns:
            return self.frame[name].fillna("").astype(str).str.strip()
        return pd.Series("", index=self.frame.index, dtype=object)

    def keep(self) -> np.ndarray:
        """Return the mask of rows without any error (here or reported earlier for their line)."""
        rejected = self.report.rejected_lines()
        return ~(self.bad | np.isin(self.lines, rejected))

    def label(self, name: str) -> str:
        """Return the file's column name for a target field (for messages)."""
        return self.mapping.get(name, name)

    def reject(self, i: int, name: str, value: object, reason: str) -> None:
        """Report an error on row ``i`` and mark it rejected."""
        self.report.error(int(self.lines[i]), self.label(name), value, reason)
        self.bad[i] = True

    def warn(self, i: int, name: str, value: object, reason: str) -> None:
        """Report a warning on row ``i``."""
        self.report.warning(int(self.lines[i]), self.label(name), value, reason)


def number_column(
    c: Candidates,
    name: str,
    *,
    minimum: float | None = 0.0,
    maximum: float | None = None,
    what: str = "valeur",
    integer: bool = False,
) -> pd.Series:
    """Return the parsed numbers of ``name`` (NaN if missing); reject bad cells.

    Unreadable, non-finite (NaN, Infinity, 1e400) and out-of-range values
    (negative surfaces...) are errors; ``maximum`` only warns (improbable).
    """
    text = c.text(name)
    values, unreadable, non_finite = parse_numbers(text)
    for i in np.flatnonzero(unreadable.to_numpy()):
        c.reject(i, name, text.iloc[i], f"{what.capitalize()} illisible : nombre attendu.")
    for i in np.flatnonzero(non_finite.to_numpy()):
        c.reject(
            i, name, text.iloc[i], f"{what.capitalize()} non finie (NaN, infini ou dépassement)."
        )
    if minimum is not None:
        for i in np.flatnonzero((values < minimum).to_numpy()):
            adj = "négative" if minimum == 0 else f"inférieure à {minimum:g}"
            c.reject(i, name, text.iloc[i], f"{what.capitalize()} {adj} : impossible.")
            values.iloc[i] = np.nan
    if maximum is not None:
        for i in np.flatnonzero((values > maximum).to_numpy()):
            c.warn(
                i,
                name,
                text.iloc[i],
                f"{what.capitalize()} improbable (plus de {maximum:,.0f}) : à vérifier.".replace(
                    ",", " "
                ),
            )
    if integer:
        frac = values.notna() & (values != values.round())
        for i in np.flatnonzero(frac.to_numpy()):
            c.reject(i, name, text.iloc[i], f"{what.capitalize()} : nombre entier attendu.")
    return values


def bool_column(c: Candidates, name: str) -> pd.Series:
    """Return True/False/None; an unreadable cell is a warning (value left unknown)."""
    text = c.text(name)
    phrase = text.map(normalize_text).map(BOOLEAN_PHRASES)
    values, unreadable = parse_booleans(text.where(phrase.isna(), ""))
    values = values.where(phrase.isna(), phrase.map({True: True, False: False}))
    for i in np.flatnonzero(unreadable.to_numpy()):
        c.warn(i, name, text.iloc[i], "Valeur oui/non illisible : laissée inconnue.")
    return values


def vocab_column(
    c: Candidates,
    name: str,
    words: dict[str, tuple[str, ...]],
    *,
    labels: dict[str, str],
    default: str | None = None,
    exact: dict[str, str] | None = None,
) -> pd.Series:
    """Return codes for a vocabulary column; unknown words warn and fall back to ``default``.

    A cell equal to a code, to a French label (« Friche ferroviaire ») or to a
    word of ``exact`` (« Maison ») gets its code; other cells are searched for
    the keywords of ``words``.
    """
    text = c.text(name)
    codes, unknown = map_vocabulary(text, words)
    whole = {normalize_text(label): code for code, label in labels.items()}
    whole.update({normalize_text(code): code for code in labels})
    whole.update(exact or {})
    norm = text.map(normalize_text)
    exact_codes = norm.map(whole)
    hit = exact_codes.notna().to_numpy()
    if hit.any():
        codes = codes.where(~hit, exact_codes)
        unknown = unknown & ~hit
    allowed = ", ".join(labels.values())
    for i in np.flatnonzero(unknown.to_numpy()):
        fallback = f"« {labels[default]} » retenu" if default else "laissé inconnu"
        c.warn(
            i,
            name,
            text.iloc[i],
            f"Valeur non reconnue ({fallback}) ; valeurs possibles : {allowed}.",
        )
    if default is not None:
        codes = codes.where(codes.notna(), default)
    return codes


def date_column(c: Candidates, name: str) -> pd.Series:
    """Return ISO dates (text) from dd/mm/yyyy, ISO or Excel serial numbers; bad cells warn."""
    text = c.text(name)
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    present = text != ""
    fr = pd.to_datetime(
        text.where(text.str.match(r"^\d{1,2}/\d{1,2}/\d{4}$")), format="%d/%m/%Y", errors="coerce"
    )
    iso = pd.to_datetime(
        text.where(text.str.match(r"^\d{4}-\d{2}-\d{2}")).str[:10],
        format="%Y-%m-%d",
        errors="coerce",
    )
    serial_num = pd.to_numeric(text.where(text.str.fullmatch(r"\d{5}(\.0+)?")), errors="coerce")
    serial = pd.to_datetime(serial_num, unit="D", origin="1899-12-30", errors="coerce")
    parsed = fr.fillna(iso).fillna(serial)
    ok = parsed.notna()
    out[ok] = parsed[ok].dt.strftime("%Y-%m-%d")
    for i in np.flatnonzero((present & ~ok).to_numpy()):
        c.warn(
            i, name, text.iloc[i], "Date illisible (attendu JJ/MM/AAAA ou AAAA-MM-JJ) : ignorée."
        )
    return out


def text_column(c: Candidates, name: str, *, max_length: int = 300) -> pd.Series:
    """Return the text (None if empty); formula-like cells are kept as text with a warning."""
    text = c.text(name)
    for i in np.flatnonzero(text.map(is_formula_like).to_numpy()):
        c.warn(
            i,
            name,
            text.iloc[i],
            "Cellule commençant par =, +, - ou @ : conservée comme texte, neutralisée à l'export.",
        )
    long = text.str.len() > max_length
    for i in np.flatnonzero(long.to_numpy()):
        c.warn(i, name, text.iloc[i], f"Texte tronqué à {max_length} caractères.")
    text = text.where(~long, text.str[:max_length])
    return pd.Series(
        [v or None for v in text.to_numpy(dtype=object)], index=text.index, dtype=object
    )


def source_ids(c: Candidates, keys: list[str]) -> pd.Series:
    """Return source ids: the ``source_id`` column, else a hash of the identifying fields.

    Duplicated ids inside one file are errors (re-import would overwrite one
    row with another), also across the chunks of a large file.
    """
    ids = c.text("source_id")
    if (ids == "").all():
        parts = [c.text(k).str.lower() for k in keys if k in c.frame.columns]
        joined = parts[0].str.cat(parts[1:], sep="|") if parts else pd.Series("", index=ids.index)
        ids = joined.map(
            lambda s: "h" + hashlib.sha1(s.encode("utf-8"), usedforsecurity=False).hexdigest()[:15]
        )
    else:
        for i in np.flatnonzero((ids == "").to_numpy()):
            c.reject(
                i,
                "source_id",
                "",
                "Identifiant manquant (nécessaire pour mettre à jour au ré-import).",
            )
    for i, (sid, line) in enumerate(zip(ids.to_numpy(dtype=object), c.lines, strict=True)):
        if not sid:
            continue
        first = c.seen_ids.setdefault(sid, int(line))
        if first != line:
            c.reject(
                i,
                "source_id",
                sid,
                f"Identifiant en double dans le fichier (déjà vu ligne {first}).",
            )
    return ids
