"""Field rules of premises and projects: coercion of values and French error messages.

Used by the forms' services and by imports, so a value stored in the
database has always gone through the same checks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any, Final

from matcher.domain import (
    CONDITIONS,
    CONNECTIVITY,
    LOCATION_PRECISIONS,
    POLLUTION,
    PREMISE_KINDS,
    PREMISE_STATUSES,
    PROJECT_TYPES,
    TENURES,
)
from matcher.errors import ValidationError


def is_missing(value: Any) -> bool:
    """Return True for None, NaN, NaT and blank strings.

    >>> is_missing(None), is_missing(float("nan")), is_missing("  "), is_missing(0)
    (True, True, True, False)
    """
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):
        return False


def _text(max_len: int) -> Callable[[str, Any], str | None]:
    def convert(field: str, value: Any) -> str | None:
        if is_missing(value):
            return None
        text = str(value).strip()
        if len(text) > max_len:
            raise ValidationError(
                f"« {field} » : texte trop long ({len(text)} caractères, maximum {max_len}).",
                field=field,
                value=value,
            )
        return text

    return convert


def _number(low: float | None = 0.0, high: float | None = None, integer: bool = False):
    def convert(field: str, value: Any) -> float | int | None:
        if is_missing(value):
            return None
        if isinstance(value, bool):
            raise ValidationError(f"« {field} » : nombre attendu, reçu {value!r}.", field=field)
        try:
            number = float(str(value).replace(",", ".").replace("\u202f", "").replace(" ", ""))
        except ValueError:
            raise ValidationError(
                f"« {field} » : nombre attendu, reçu « {value} ».", field=field, value=value
            ) from None
        if math.isinf(number) or (low is not None and number < low):
            raise ValidationError(
                f"« {field} » : valeur {value} hors bornes (minimum {low}).",
                field=field,
                value=value,
            )
        if high is not None and number > high:
            raise ValidationError(
                f"« {field} » : valeur {value} hors bornes (maximum {high}).",
                field=field,
                value=value,
            )
        if integer:
            if number != int(number):
                raise ValidationError(
                    f"« {field} » : nombre entier attendu, reçu {value}.", field=field, value=value
                )
            return int(number)
        return number

    convert.number_bounds = (low, high, integer)  # lets clean_column vectorise
    return convert


_TRUE = {"1", "true", "vrai", "oui", "yes", "o", "y", "x"}
_FALSE = {"0", "false", "faux", "non", "no", "n"}


def _boolean(field: str, value: Any) -> bool | None:
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if hasattr(value, "item"):
        return bool(value.item())
    raise ValidationError(f"« {field} » : oui/non attendu, reçu « {value} ».", field=field)


def _date(field: str, value: Any) -> dt.date | None:
    if is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValidationError(
            f"« {field} » : date attendue (AAAA-MM-JJ), reçu « {value} ».", field=field, value=value
        ) from None


def _code(vocabulary: Mapping[str, str]):
    def convert(field: str, value: Any) -> str | None:
        if is_missing(value):
            return None
        code = str(value).strip()
        if code not in vocabulary:
            allowed = ", ".join(vocabulary)
            raise ValidationError(
                f"« {field} » : valeur « {code} » inconnue (valeurs permises : {allowed}).",
                field=field,
                value=value,
            )
        return code

    return convert


def _code_list(vocabulary: Mapping[str, str]):
    single = _code(vocabulary)

    def convert(field: str, value: Any) -> str | None:
        if is_missing(value):
            return None
        parts = [p.strip() for p in str(value).split("|") if p.strip()]
        return "|".join(single(field, p) for p in parts) or None

    return convert


def _insee(field: str, value: Any) -> str | None:
    if is_missing(value):
        return None
    code = str(value).strip().upper()
    if code.isdigit() and len(code) < 5:
        code = code.zfill(5)
    if len(code) != 5 or not (code.isdigit() or (code[:2] in {"2A", "2B"} and code[2:].isdigit())):
        raise ValidationError(
            f"« {field} » : code INSEE invalide « {value} ».", field=field, value=value
        )
    return code


def _insee_list(field: str, value: Any) -> str | None:
    if is_missing(value):
        return None
    return "|".join(_insee(field, p) for p in str(value).split("|") if p.strip()) or None


PREMISE_RULES: Final[dict[str, Callable[[str, Any], Any]]] = {
    "kind": _code(PREMISE_KINDS),
    "name": _text(300),
    "address": _text(500),
    "insee_code": _insee,
    "lon": _number(-180.0, 180.0),
    "lat": _number(-90.0, 90.0),
    "location_precision": _code(LOCATION_PRECISIONS),
    "floor_area_m2": _number(),
    "land_area_m2": _number(),
    "levels": _number(0, 200, integer=True),
    "ground_floor_access": _boolean,
    "condition": _code(CONDITIONS),
    "works_estimate_eur": _number(),
    "tenure": _code(TENURES),
    "price_eur": _number(),
    "rent_eur_m2_year": _number(),
    "available_from": _date,
    "connectivity": _code(CONNECTIVITY),
    "distance_to_station_m": _number(),
    # Bounded so that every accepted value fits a 32-bit INTEGER column (PostgreSQL).
    "parking_spaces": _number(0, 100_000, integer=True),
    "pmr_accessible": _boolean,
    "pollution": _code(POLLUTION),
    "heritage_listed": _boolean,
    "status": _code(PREMISE_STATUSES),
    "source": _text(100),
    "source_id": _text(200),
    "synthetic": _boolean,
    "contact_name": _text(200),
    "contact_email": _text(254),
    "contact_phone": _text(40),
    "internal_notes": _text(10_000),
}

PROJECT_RULES: Final[dict[str, Callable[[str, Any], Any]]] = {
    "name": _text(300),
    "project_type": _code(PROJECT_TYPES),
    "activities": _code_list(PROJECT_TYPES),
    "target_lon": _number(-180.0, 180.0),
    "target_lat": _number(-90.0, 90.0),
    "radius_km": _number(),
    "target_insee_codes": _insee_list,
    "surface_min_m2": _number(),
    "surface_target_m2": _number(),
    "surface_max_m2": _number(),
    "budget_purchase_eur": _number(),
    "budget_works_eur": _number(),
    "max_rent_eur_year": _number(),
    "tenures": _code_list(TENURES),
    "fibre_required": _boolean,
    "pmr_required": _boolean,
    "ground_floor_required": _boolean,
    "max_station_distance_m": _number(),
    "needed_by": _date,
    "expected_jobs": _number(),
    "expected_users": _number(),
    "fabrique_territoire": _boolean,
    "qpv_target": _boolean,
    "hosts_public_service": _boolean,
    "source": _text(100),
    "source_id": _text(200),
    "synthetic": _boolean,
    "status": _code({"draft": "Brouillon", "active": "Actif", "closed": "Clos"}),
    "contact_email": _text(254),
    "internal_notes": _text(10_000),
}

#: Fields that may not be left empty when a row is created.
PREMISE_REQUIRED: Final[tuple[str, ...]] = ("kind",)
PROJECT_REQUIRED: Final[tuple[str, ...]] = ("name", "project_type")


def clean_values(
    values: Mapping[str, Any],
    rules: Mapping[str, Callable[[str, Any], Any]],
    *,
    required: tuple[str, ...] = (),
    label: str = "fiche",
) -> dict[str, Any]:
    """Return the values converted by ``rules``; raise ValidationError on the first bad one.

    >>> clean_values({"levels": "2", "pmr_accessible": "oui"}, PREMISE_RULES)
    {'levels': 2, 'pmr_accessible': True}
    >>> clean_values({"colour": "red"}, PREMISE_RULES)
    Traceback (most recent call last):
    ...
    matcher.errors.ValidationError: Champ inconnu pour une fiche : « colour ».
    """
    out: dict[str, Any] = {}
    for key, value in values.items():
        rule = rules.get(key)
        if rule is None:
            raise ValidationError(f"Champ inconnu pour une {label} : « {key} ».", field=key)
        out[key] = rule(key, value)
    for key in required:
        if is_missing(out.get(key)):
            raise ValidationError(f"« {key} » est obligatoire.", field=key)
    return out


def check_surfaces(values: Mapping[str, Any]) -> None:
    """Raise ValidationError when a project's surfaces are not ordered min <= target <= max.

    >>> check_surfaces({"surface_min_m2": 100, "surface_max_m2": 50})
    Traceback (most recent call last):
    ...
    matcher.errors.ValidationError: Surfaces incohérentes : minimum 100 m² > maximum 50 m².
    """
    lo, target, hi = (
        values.get(k) for k in ("surface_min_m2", "surface_target_m2", "surface_max_m2")
    )
    if lo is not None and hi is not None and lo > hi:
        raise ValidationError(
            f"Surfaces incohérentes : minimum {lo:g} m² > maximum {hi:g} m².",
            field="surface_min_m2",
        )
    if target is not None and lo is not None and target < lo:
        raise ValidationError(
            f"Surfaces incohérentes : cible {target:g} m² < minimum {lo:g} m².",
            field="surface_target_m2",
        )
    if target is not None and hi is not None and target > hi:
        raise ValidationError(
            f"Surfaces incohérentes : cible {target:g} m² > maximum {hi:g} m².",
            field="surface_target_m2",
        )


def clean_column(
    field: str, series: Any, rule: Callable[[str, Any], Any]
) -> tuple[list[Any], dict[int, ValidationError]]:
    """Return (converted values as Python objects, {position: error}) for a whole column.

    Same result as calling ``rule`` on every value, but numeric columns are
    checked with numpy and other columns convert each distinct value once.

    >>> import pandas as pd
    >>> values, errors = clean_column("levels", pd.Series([1, None, -2]), PREMISE_RULES["levels"])
    >>> values, sorted(errors)
    ([1, None, None], [2])
    >>> clean_column("kind", pd.Series(["shop", "shop", None]), PREMISE_RULES["kind"])[0]
    ['shop', 'shop', None]
    """
    import numpy as np
    import pandas as pd

    errors: dict[int, ValidationError] = {}
    bounds = getattr(rule, "number_bounds", None)
    if bounds is not None and series.dtype.kind in "iuf":
        low, high, integer = bounds
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(numbers)
        with np.errstate(invalid="ignore"):
            bad = ~missing & np.isinf(numbers)
            if low is not None:
                bad |= ~missing & (numbers < low)
            if high is not None:
                bad |= ~missing & (numbers > high)
            if integer:
                bad |= ~missing & ~np.isinf(numbers) & (numbers != np.floor(numbers))
        original = series.tolist()
        for pos in np.flatnonzero(bad):
            try:
                rule(field, original[pos])
            except ValidationError as exc:
                errors[int(pos)] = exc
        skip = missing | bad
        if integer:
            as_int = np.where(skip, 0, numbers).astype("int64").tolist()
            values = [None if k else v for k, v in zip(skip.tolist(), as_int, strict=True)]
        else:
            values = [
                None if k else v for k, v in zip(skip.tolist(), numbers.tolist(), strict=True)
            ]
        return values, errors
    cache: dict[Any, Any] = {}
    values = []
    for pos, value in enumerate(series.tolist() if isinstance(series, pd.Series) else series):
        if is_missing(value):
            values.append(None)
            continue
        try:
            key = (type(value), value)
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in cache:
            result = cache[key]
        else:
            try:
                result = rule(field, value)
            except ValidationError as exc:
                result = exc
            if key is not None:
                cache[key] = result
        if isinstance(result, ValidationError):
            errors[pos] = result
            values.append(None)
        else:
            values.append(result)
    return values, errors
