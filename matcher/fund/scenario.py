"""The fund's portfolio rules (a scenario) and the candidate deals, validated.

A scenario is a JSON object (a file or the page's form) with these keys:

=============================== ===================================================
``budget_eur``                  amount available (the fund's 50 M€ less what is
                                already committed), required, >= 0
``min_ticket_eur``              smallest ticket the fund writes (optional)
``max_ticket_eur``              largest ticket (optional)
``min_share_outside_metropoles`` share 0-1 of the invested amount outside the
                                métropoles, at least (optional)
``min_share_qpv``               share 0-1 of the invested amount in a QPV (optional)
``max_share_per_region``        share 0-1 of the invested amount in any one région,
                                at most (optional)
``must_include``                deal ids that must be chosen (optional list)
``must_exclude``                deal ids that must not be chosen (optional list)
``name``, ``description``       free text (optional)
=============================== ===================================================

Every error is a :class:`~matcher.errors.ValidationError` (or
:class:`~matcher.errors.ImportFileError` for files) in French naming the
field, the value and, for candidate files, the line.

>>> s = parse_scenario({"budget_eur": 1e6, "min_share_qpv": 0.5})
>>> s.budget_eur, s.min_share_qpv, s.rule_names()
(1000000.0, 0.5, ['budget_eur', 'min_share_qpv'])
>>> parse_scenario({"budget_eur": 1e6, "min_share_qpv": 1.5})
Traceback (most recent call last):
...
matcher.errors.ValidationError: Règle « min_share_qpv » : une part entre 0 et 1 est attendue, reçu « 1.5 ».
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.errors import ImportFileError, ValidationError

#: Rule names, in the order they are reported; each is also a scenario key.
RULES: dict[str, str] = {
    "budget_eur": "budget disponible",
    "min_ticket_eur": "ticket minimum",
    "max_ticket_eur": "ticket maximum",
    "min_share_outside_metropoles": "part minimale hors métropoles",
    "min_share_qpv": "part minimale en quartier prioritaire (QPV)",
    "max_share_per_region": "part maximale par région",
    "must_include": "dossiers imposés",
    "must_exclude": "dossiers exclus",
}
#: One relaxation step per rule (price of "relaxed one step").
STEPS: dict[str, float] = {
    "budget_eur": 1_000_000.0,
    "min_ticket_eur": -50_000.0,
    "max_ticket_eur": 100_000.0,
    "min_share_outside_metropoles": -0.05,
    "min_share_qpv": -0.05,
    "max_share_per_region": 0.05,
}
_AMOUNTS = ("budget_eur", "min_ticket_eur", "max_ticket_eur")
_SHARES = ("min_share_outside_metropoles", "min_share_qpv", "max_share_per_region")
_LISTS = ("must_include", "must_exclude")
_TEXTS = ("name", "description")

#: Columns a candidates CSV must have (more are allowed and ignored).
CANDIDATE_COLUMNS = ("deal_id", "ticket_eur", "impact", "outside_metropole", "in_qpv", "region")
_TRUE = {"1", "true", "vrai", "oui", "yes"}
_FALSE = {"0", "false", "faux", "non", "no"}


@dataclass(frozen=True)
class Scenario:
    """The fund's rules for one portfolio (amounts in euros, shares 0-1)."""

    budget_eur: float
    min_ticket_eur: float | None = None
    max_ticket_eur: float | None = None
    min_share_outside_metropoles: float | None = None
    min_share_qpv: float | None = None
    max_share_per_region: float | None = None
    must_include: tuple[str, ...] = field(default_factory=tuple)
    must_exclude: tuple[str, ...] = field(default_factory=tuple)
    name: str = ""
    description: str = ""

    def rule_names(self) -> list[str]:
        """Return the names of the rules this scenario sets, in report order."""
        out = []
        for name in RULES:
            value = getattr(self, name)
            if name in _LISTS:
                if value:
                    out.append(name)
            elif value is not None:
                out.append(name)
        return out

    def to_json(self) -> dict[str, Any]:
        """Return the scenario as a JSON-ready dict (unset rules left out)."""
        data = asdict(self)
        out: dict[str, Any] = {}
        for key, value in data.items():
            if value is None or value == () or value == "":
                continue
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def with_changes(self, **changes: Any) -> Scenario:
        """Return a copy with some rules changed (checked again)."""
        return parse_scenario({**self.to_json(), **changes})


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        raise ValidationError(
            f"Règle « {key} » : un nombre est attendu, reçu « {_show(value)} ».",
            field=key,
            value=value,
        )
    try:
        number = float(str(value).replace("\u202f", "").replace(" ", "").replace(",", "."))
    except ValueError:
        raise ValidationError(
            f"Règle « {key} » : un nombre est attendu, reçu « {_show(value)} ».",
            field=key,
            value=value,
        ) from None
    if not math.isfinite(number):
        raise ValidationError(
            f"Règle « {key} » : un nombre fini est attendu, reçu « {_show(value)} ».",
            field=key,
            value=value,
        )
    return number


def _show(value: Any) -> str:
    if value is None:
        return "vide"
    if isinstance(value, bool):
        return "vrai" if value else "faux"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _ids(key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValidationError(
            f"Règle « {key} » : une liste de numéros de dossiers est attendue, "
            f"reçu « {_show(value)} ».",
            field=key,
            value=value,
        )
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float) or str(item) == "":
            raise ValidationError(
                f"Règle « {key} » : numéro de dossier invalide « {_show(item)} ».",
                field=key,
                value=item,
            )
        out.append(canonical_id(item))
    return tuple(dict.fromkeys(out))


def canonical_id(value: Any) -> str:
    """Return a deal id as text ("12" for 12 or 12.0), the way candidates store it.

    >>> canonical_id(12), canonical_id(12.0), canonical_id(" D-3 ")
    ('12', '12', 'D-3')
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_scenario(data: Mapping[str, Any]) -> Scenario:
    """Return the checked :class:`Scenario` of a mapping (JSON object or form values)."""
    if not isinstance(data, Mapping):
        raise ValidationError(
            f"Le scénario doit être un objet JSON (clés et valeurs), reçu « {_show(data)} ».",
            field="scenario",
            value=data,
        )
    unknown = sorted(set(data) - set(RULES) - set(_TEXTS))
    if unknown:
        raise ValidationError(
            f"Règle inconnue « {unknown[0]} » (règles possibles : {', '.join(RULES)}).",
            field=unknown[0],
            value=data[unknown[0]],
        )
    if data.get("budget_eur") is None:
        raise ValidationError(
            "Règle « budget_eur » : le budget disponible est obligatoire.", field="budget_eur"
        )
    values: dict[str, Any] = {}
    for key in _AMOUNTS:
        if data.get(key) is not None:
            values[key] = _number(key, data[key])
            if values[key] < 0:
                raise ValidationError(
                    f"Règle « {key} » : un montant positif ou nul est attendu, "
                    f"reçu « {_show(data[key])} ».",
                    field=key,
                    value=data[key],
                )
    for key in _SHARES:
        if data.get(key) is not None:
            values[key] = _number(key, data[key])
            if not 0 <= values[key] <= 1:
                raise ValidationError(
                    f"Règle « {key} » : une part entre 0 et 1 est attendue, "
                    f"reçu « {_show(data[key])} ».",
                    field=key,
                    value=data[key],
                )
    for key in _LISTS:
        values[key] = _ids(key, data.get(key))
    for key in _TEXTS:
        if data.get(key) is not None:
            values[key] = str(data[key])[:500]
    low, high = values.get("min_ticket_eur"), values.get("max_ticket_eur")
    if low is not None and high is not None and low > high:
        raise ValidationError(
            f"Règle « min_ticket_eur » : le ticket minimum ({_show(data['min_ticket_eur'])}) "
            f"dépasse le ticket maximum ({_show(data['max_ticket_eur'])}).",
            field="min_ticket_eur",
            value=data["min_ticket_eur"],
        )
    if low is not None and values["budget_eur"] < low:
        raise ValidationError(
            f"Règle « budget_eur » : le budget ({_show(data['budget_eur'])}) est inférieur au "
            f"ticket minimum ({_show(data['min_ticket_eur'])}) : aucun dossier ne pourrait "
            "être financé.",
            field="budget_eur",
            value=data["budget_eur"],
        )
    both = sorted(set(values["must_include"]) & set(values["must_exclude"]))
    if both:
        raise ValidationError(
            f"Règles contradictoires : le dossier « {both[0]} » est à la fois imposé "
            "(must_include) et exclu (must_exclude).",
            field="must_include",
            value=both[0],
        )
    return Scenario(**values)


def load_scenario(path: str | Path) -> Scenario:
    """Return the scenario of a JSON file; a file that is not JSON gets a French error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError(
            f"Fichier de scénario introuvable : {path}.", path=str(path)
        ) from None
    except (UnicodeDecodeError, OSError):
        raise ImportFileError(
            f"Le fichier de scénario {path.name} n'est pas un texte UTF-8 lisible.",
            path=str(path),
        ) from None
    return parse_scenario_text(text, path.name)


def parse_scenario_text(text: str, source: str = "scénario") -> Scenario:
    """Return the scenario of a JSON text; a text that is not JSON gets a French error."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"Le fichier {source} n'est pas du JSON valide (ligne {exc.lineno}, "
            f"colonne {exc.colno}).",
            path=source,
            line=exc.lineno,
            column=str(exc.colno),
        ) from None
    except RecursionError:
        raise ImportFileError(f"Le fichier {source} est trop imbriqué.", path=source) from None
    return parse_scenario(data)


def check_unknown_ids(scenario: Scenario, ids: Iterable[str]) -> None:
    """Raise a French ValidationError if must-include or must-exclude names an unknown deal."""
    known = set(ids)
    for key in _LISTS:
        missing = [i for i in getattr(scenario, key) if i not in known]
        if missing:
            raise ValidationError(
                f"Règle « {key} » : dossier inconnu « {missing[0]} » (absent des candidats).",
                field=key,
                value=missing[0],
            )


# --------------------------------------------------------------------------- candidates


def _flag(frame: pd.DataFrame, col: str, source: str) -> np.ndarray:
    text = frame[col].astype("string").str.strip().str.lower()
    true, false = text.isin(_TRUE), text.isin(_FALSE)
    bad = ~(true | false)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ImportFileError(
            f"{source}, ligne {row + 2}, colonne « {col} » : 0 ou 1 attendu, "
            f"reçu « {_show(frame[col].iloc[row])} ».",
            path=source,
            line=row + 2,
            column=col,
            value=frame[col].iloc[row],
        )
    return true.to_numpy(dtype=bool)


def _amounts(frame: pd.DataFrame, col: str, source: str, *, positive: bool) -> np.ndarray:
    raw = frame[col].astype("string").str.strip().str.replace("\u202f", "").str.replace(",", ".")
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if positive:
        bad |= values < 0
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        shown = frame[col].iloc[row]
        what = "un montant positif ou nul" if positive else "un nombre"
        raise ImportFileError(
            f"{source}, ligne {row + 2}, colonne « {col} » : {what} est attendu, "
            f"reçu « {'vide' if pd.isna(shown) else shown} ».",
            path=source,
            line=row + 2,
            column=col,
            value=None if pd.isna(shown) else shown,
        )
    return values


def check_candidates(frame: pd.DataFrame, source: str = "candidats") -> pd.DataFrame:
    """Return the candidates with clean types, sorted by deal id (a stable model order).

    Columns out: ``deal_id`` (text), ``ticket_eur``, ``impact`` (floats),
    ``outside_metropole``, ``in_qpv`` (booleans), ``region`` (text), plus any
    other column as given. Line numbers in errors count the header as line 1.
    """
    missing = [c for c in CANDIDATE_COLUMNS if c not in frame.columns]
    if missing:
        raise ImportFileError(
            f"{source} : colonne obligatoire absente « {missing[0]} » "
            f"(colonnes attendues : {', '.join(CANDIDATE_COLUMNS)}).",
            path=source,
            column=missing[0],
        )
    frame = frame.reset_index(drop=True)
    ids = frame["deal_id"].astype("string").str.strip()
    empty = ids.isna() | (ids == "")
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise ImportFileError(
            f"{source}, ligne {row + 2}, colonne « deal_id » : numéro de dossier manquant.",
            path=source,
            line=row + 2,
            column="deal_id",
        )
    ids = ids.map(lambda v: canonical_id(float(v)) if _is_float_text(v) else v)
    dup = ids.duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise ImportFileError(
            f"{source}, ligne {row + 2}, colonne « deal_id » : dossier « {ids.iloc[row]} » "
            "en double.",
            path=source,
            line=row + 2,
            column="deal_id",
            value=ids.iloc[row],
        )
    region = frame["region"].astype("string").str.strip()
    no_region = region.isna() | (region == "")
    if no_region.any():
        row = int(np.flatnonzero(no_region.to_numpy())[0])
        raise ImportFileError(
            f"{source}, ligne {row + 2}, colonne « region » : région manquante.",
            path=source,
            line=row + 2,
            column="region",
        )
    out = frame.copy()
    out["deal_id"] = ids.astype(object)
    out["ticket_eur"] = _amounts(frame, "ticket_eur", source, positive=True)
    out["impact"] = _amounts(frame, "impact", source, positive=False)
    out["outside_metropole"] = _flag(frame, "outside_metropole", source)
    out["in_qpv"] = _flag(frame, "in_qpv", source)
    out["region"] = region.astype(object)
    return sort_candidates(out)


def _is_float_text(value: str) -> bool:
    try:
        number = float(value)
    except ValueError:
        return False
    return math.isfinite(number) and number.is_integer() and "." in value


def sort_candidates(frame: pd.DataFrame) -> pd.DataFrame:
    """Return candidates sorted by id, numerically when every id is an integer."""
    ids = frame["deal_id"].astype(str)
    numeric = ids.str.fullmatch(r"-?\d+").all()
    key = ids.astype(int) if numeric and len(ids) else ids
    order = np.argsort(key.to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def read_candidates(path: str | Path) -> pd.DataFrame:
    """Return the checked candidates of a CSV file (``,`` or ``;`` separated, UTF-8)."""
    path = Path(path)
    if path.is_file() and not path.read_bytes()[:4096].strip():
        raise ImportFileError(
            f"Le fichier de candidats {path.name} est vide (colonnes attendues : "
            f"{', '.join(CANDIDATE_COLUMNS)}).",
            path=str(path),
        )
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], sep=None, engine="python"
        )
    except FileNotFoundError:
        raise ImportFileError(
            f"Fichier de candidats introuvable : {path}.", path=str(path)
        ) from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        kind = "vide" if isinstance(exc, pd.errors.EmptyDataError) else "illisible"
        raise ImportFileError(
            f"Le fichier de candidats {path.name} est {kind} (CSV UTF-8 attendu, colonnes "
            f"{', '.join(CANDIDATE_COLUMNS)}).",
            path=str(path),
        ) from None
    except Exception:  # noqa: BLE001 - csv.Error and friends: say it in French
        raise ImportFileError(
            f"Le fichier de candidats {path.name} n'est pas un CSV lisible.", path=str(path)
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return check_candidates(frame, path.name)
