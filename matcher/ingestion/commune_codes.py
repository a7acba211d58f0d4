"""INSEE codes of a file resolved to current communes through the commune history.

Importers call :func:`resolve_code_details` (or
:func:`~matcher.ingestion.locate.place_rows`, which uses it) so that every
code replaced by a current one is reported with both codes, a commune split
since the file's geography is flagged, and an overseas collectivity gets its
own reason. Messages are French; their text before " :" is stable so the
report summary counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import shapely

from matcher.errors import InvalidCodeError, UnknownTerritoryError
from matcher.ingestion.parsing import normalize_insee_codes
from matcher.ingestion.report import ValidationReport

#: Year of the geography (code officiel géographique) of the known sources: their
#: codes were valid on 1 January of that year. A commune split after it is
#: ambiguous in that file; a user file's vintage is unknown.
SOURCE_VINTAGES: dict[str, int] = {
    "arcep_ftth": 2018,
    "lovac": 2021,
    "laposte": 2020,
    "laposte_2016": 2016,
    "pvd_2021": 2020,
    "anct_programmes": 2023,
    "france_services": 2024,
    "frr_2025": 2025,
    "grille_densite": 2025,
    "acv": 2025,
}

#: Reason prefixes of the report lines about codes replaced by a current one
#: (the report summary counts lines by the text before " :").
MOVED_REASONS: dict[str, str] = {
    "arrondissement": "Code d'arrondissement municipal rattaché à sa commune",
    "delegated": "Code de commune déléguée rattaché à sa commune nouvelle",
    "associated": "Code de commune associée rattaché à sa commune",
}
MOVED_REASON = "Ancien code INSEE remplacé par celui de la commune actuelle"
#: INSEE codes of the collectivités d'outre-mer, outside the communes reference.
OVERSEAS_COLLECTIVITY_PREFIXES = ("975", "977", "978", "98")
SPLIT_REASON = "Commune scindée depuis le fichier"


class TerritoryLike(Protocol):
    """What ingestion needs from :mod:`matcher.territory` (duck-typed for tests)."""

    communes: pd.DataFrame

    def canonical_code(self, value: object) -> str: ...
    def resolve(self, value: object, vintage: int | None = None): ...
    def find_by_name(
        self, name: str, departement: str | None = None, postcode: str | None = None
    ) -> list[str]: ...
    def communes_for_postcode(self, postcode: object) -> list[str]: ...
    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray: ...
    def geometry(self, value: object) -> shapely.Geometry: ...


@dataclass
class ResolvedCodes:
    """INSEE codes of a file resolved to current communes, with what changed and why.

    ``codes`` holds the current code ("" when malformed, unknown, or a former
    commune now shared between several communes); ``moved`` marks codes
    replaced by another current code; ``ambiguous`` marks codes that may mean
    several current communes (a split), ``candidates`` lists them.
    """

    text: pd.Series
    codes: np.ndarray
    malformed: np.ndarray
    unknown: np.ndarray
    moved: np.ndarray
    ambiguous: np.ndarray
    events: np.ndarray
    sentences: np.ndarray
    candidates: dict[int, tuple[str, ...]] = field(default_factory=dict)


def resolve_code_details(
    codes_text: pd.Series, territory: TerritoryLike | None, vintage: int | None = None
) -> ResolvedCodes:
    """Return the current commune of every INSEE code text (commune history applied).

    Codes already current are matched at once; the others go through the
    territory's commune history (mergers, splits, changes of code) and
    aliases (municipal arrondissements, communes déléguées). ``vintage`` is
    the year of the file's geography when known (:data:`SOURCE_VINTAGES`).
    """
    codes, malformed = normalize_insee_codes(codes_text)
    n = len(codes)
    out = codes.to_numpy(dtype=object).copy()
    res = ResolvedCodes(
        text=codes_text.reset_index(drop=True),
        codes=out,
        malformed=malformed.to_numpy(),
        unknown=np.zeros(n, dtype=bool),
        moved=np.zeros(n, dtype=bool),
        ambiguous=np.zeros(n, dtype=bool),
        events=np.full(n, "", dtype=object),
        sentences=np.full(n, "", dtype=object),
    )
    if territory is None:
        return res
    # a hash look-up in the (unique) commune index: Series.isin on text converts the whole
    # index to scalars on every call (120 ms for 35,000 communes, whatever the file's size)
    communes = territory.communes.index
    if communes.is_unique:
        known = communes.get_indexer(codes.to_numpy(dtype=object)) >= 0
    else:
        known = codes.isin(communes).to_numpy()
    resolve = getattr(territory, "resolve", None)
    history = getattr(territory, "history", None)
    split_after = getattr(history, "split_after", None)
    check = ~known & (codes != "").to_numpy()
    if vintage is not None and split_after is not None:
        # current codes of communes split after the file's vintage
        for i in np.flatnonzero(known):
            check[i] = split_after(out[i], vintage)
    cache: dict[str, object] = {}
    for i in np.flatnonzero(check):
        code = out[i]
        if resolve is None:
            try:
                out[i] = territory.canonical_code(code)
                res.moved[i] = out[i] != code
            except (InvalidCodeError, UnknownTerritoryError):
                out[i] = ""
                res.unknown[i] = True
            continue
        found = cache.get(code)
        if found is None:
            found = cache[code] = resolve(code, vintage)
        res.events[i] = found.event
        res.sentences[i] = found.sentence
        if found.resolved:
            out[i] = found.current[0]
            res.moved[i] = found.moved
        elif found.ambiguous:
            res.ambiguous[i] = True
            res.candidates[int(i)] = found.current
            out[i] = code if code in found.current else ""
        else:
            out[i] = ""
            res.unknown[i] = True
            if not found.sentence and code.startswith(OVERSEAS_COLLECTIVITY_PREFIXES):
                res.events[i] = "overseas"
                res.sentences[i] = (
                    "Code d'une collectivité d'outre-mer (Saint-Pierre-et-Miquelon, "
                    "Saint-Barthélemy, Saint-Martin, Pacifique...) : hors du référentiel, qui "
                    "couvre la métropole et les départements d'outre-mer."
                )
    return res


def resolve_codes(
    codes_text: pd.Series, territory: TerritoryLike | None, vintage: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(current codes or "", malformed mask, unknown mask)`` for INSEE code texts.

    A former commune now shared between several communes counts as unknown
    here; :func:`resolve_code_details` tells it apart.
    """
    res = resolve_code_details(codes_text, territory, vintage)
    return res.codes, res.malformed, res.unknown | (res.ambiguous & (res.codes == ""))


def unknown_reason(res: ResolvedCodes, i: int) -> str:
    """Return the French report line for a code that designates no current commune."""
    if res.events[i] == "overseas":
        return res.sentences[i]
    detail = f" {res.sentences[i]}" if res.sentences[i] else ""
    return f"Code INSEE inconnu du référentiel des communes.{detail}"


def moved_reason(event: str, sentence: str, new_code: str) -> str:
    """Return the French report line for a code replaced by ``new_code``."""
    prefix = MOVED_REASONS.get(event, MOVED_REASON)
    return f"{prefix} : {sentence} Ligne rattachée à {new_code}."


def report_moved_codes(
    res: ResolvedCodes, report: ValidationReport, lines: np.ndarray, label: str
) -> None:
    """Report one warning per code replaced by a current code (never in silence)."""
    for i in np.flatnonzero(res.moved):
        report.warning(
            int(lines[i]),
            label,
            res.text.iloc[i],
            moved_reason(res.events[i], res.sentences[i], res.codes[i]),
        )


def vintage_of(report: ValidationReport) -> int | None:
    """Return the geography year of the report's source when the source is a known one."""
    known = SOURCE_VINTAGES.get(report.source)
    return known if known is not None else getattr(report, "profile_vintage", None)
