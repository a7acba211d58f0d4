"""Field rules of premises and projects: coercion of values and French error messages.

Built from the field registry (:mod:`matcher.fields`): one rule per field,
derived from its type, bounds, vocabulary and length. Used by the forms'
services and by imports, so a value stored in the database has always gone
through the same checks, and every text has been cleaned of control
characters (NUL and the other C0/C1 characters) on its way in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from matcher.errors import FormErrors, ValidationError
from matcher.fields import (  # the registry is also what the forms read, through here
    MESSAGE_FIELDS,
    PREMISE_FIELDS,
    PREMISE_REQUIRED,
    PROJECT_FIELDS,
    PROJECT_REQUIRED,
    UNKNOWN_TEXT,
    FieldSpec,
    clean_text,
    fr_number,
    is_unknown,
)

__all__ = [
    "MESSAGE_FIELDS",
    "PREMISE_FIELDS",
    "PROJECT_FIELDS",
    "UNKNOWN_TEXT",
    "FieldSpec",
    "PREMISE_REQUIRED",
    "PREMISE_RULES",
    "PROJECT_REQUIRED",
    "PROJECT_RULES",
    "check_surfaces",
    "clean_column",
    "clean_message",
    "clean_values",
    "is_missing",
    "read_shown_number",
    "rule_for",
    "usual_warnings",
]

Rule = Callable[[str, Any], Any]


def is_missing(value: Any) -> bool:
    """Return True for None, NaN, NaT and blank strings.

    >>> is_missing(None), is_missing(float("nan")), is_missing("  "), is_missing(0)
    (True, True, True, False)
    """
    return is_unknown(value)


def _text_value(spec: FieldSpec, value: Any) -> str | None:
    if is_missing(value):
        return None
    text = clean_text(value, multiline=spec.kind in ("multiline", "urls"))
    if not text:
        return None
    if spec.max_length is not None and len(text) > spec.max_length:
        raise ValidationError(
            f"{spec.label} : texte trop long ({fr_number(len(text))} caractères, maximum "
            f"{fr_number(spec.max_length)}).",
            field=spec.name,
            value=text[:50],
        )
    return text


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE = re.compile(r"^[0-9+().\-/ ]+$")
# No space, quote, angle bracket or backtick: a link is shown as is, never as markup.
_URL = re.compile(r"^https?://[^\s/$.?#<>\"'`][^\s<>\"'`]*$", re.IGNORECASE)
#: Most links a premise may carry.
MAX_LINKS = 20


def _email(spec: FieldSpec, value: Any) -> str | None:
    text = _text_value(spec, value)
    if text is not None and not _EMAIL.match(text):
        raise ValidationError(
            f"{spec.label} : adresse e-mail invalide « {text} ».", field=spec.name, value=text
        )
    return text


def _phone(spec: FieldSpec, value: Any) -> str | None:
    text = _text_value(spec, value)
    if text is None:
        return None
    digits = sum(ch.isdigit() for ch in text)
    if not _PHONE.match(text) or not 6 <= digits <= 20:
        raise ValidationError(
            f"{spec.label} : numéro de téléphone invalide « {text} » (chiffres, espaces, "
            "+, points ou tirets).",
            field=spec.name,
            value=text,
        )
    return text


def _urls(spec: FieldSpec, value: Any) -> str | None:
    if _is_list(value):
        value = "\n".join(str(v) for v in value)
    text = _text_value(spec, value)
    if text is None:
        return None
    links = [line.strip() for line in text.split("\n") if line.strip()]
    for number, link in enumerate(links, start=1):
        if not _URL.match(link) or len(link) > 1000:
            raise ValidationError(
                f"{spec.label} : ligne {number}, « {link[:80]} » n'est pas une adresse web "
                "(elle doit commencer par http:// ou https://).",
                field=spec.name,
                value=link[:80],
            )
    if len(links) > MAX_LINKS:
        raise ValidationError(
            f"{spec.label} : {len(links)} liens, maximum {MAX_LINKS}.", field=spec.name
        )
    return "\n".join(dict.fromkeys(links)) or None


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def parse_number(spec: FieldSpec, value: Any) -> float | None:
    """Return the number written in ``value`` (French or English decimals), None if missing."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValidationError(
            f"{spec.label} : nombre attendu, reçu {'oui' if value else 'non'}.",
            field=spec.name,
            value=value,
        )
    if isinstance(value, int | float):
        return float(value)
    text = clean_text(value).replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise ValidationError(
            f"{spec.label} : nombre attendu, reçu « {clean_text(value)[:50]} ».",
            field=spec.name,
            value=value,
        ) from None


def read_shown_number(spec: FieldSpec, text: Any) -> float | None:
    """Return a number typed in the field's shown unit (km) in its stored unit (m).

    >>> read_shown_number(PREMISE_FIELDS["distance_to_station_m"], "1,5")
    1500.0
    """
    number = parse_number(spec, text)
    return None if number is None else number / spec.display_scale


def _number(spec: FieldSpec, value: Any) -> float | int | None:
    number = parse_number(spec, value)
    if number is None:
        return None
    spec.check_number(number, value)
    if spec.kind == "integer":
        if number != int(number):
            raise ValidationError(
                f"{spec.label} : nombre entier attendu, reçu {fr_number(number, 2)}.",
                field=spec.name,
                value=value,
            )
        return int(number)
    return number


_TRUE = {"1", "true", "vrai", "oui", "yes", "o", "y", "x"}
_FALSE = {"0", "false", "faux", "non", "no", "n"}


def _boolean(spec: FieldSpec, value: Any) -> bool | None:
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
    raise ValidationError(
        f"{spec.label} : oui/non attendu, reçu « {clean_text(value)[:50]} ».",
        field=spec.name,
        value=value,
    )


def _date(spec: FieldSpec, value: Any) -> dt.date | None:
    if is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for parse in (
        lambda t: dt.date.fromisoformat(t[:10]),
        lambda t: dt.datetime.strptime(t, "%d/%m/%Y").date(),
    ):
        try:
            return parse(text)
        except ValueError:
            continue
    raise ValidationError(
        f"{spec.label} : date attendue (JJ/MM/AAAA ou AAAA-MM-JJ), reçu « {clean_text(text)[:50]} ».",
        field=spec.name,
        value=value,
    )


def _code(spec: FieldSpec, value: Any) -> str | None:
    if is_missing(value):
        return None
    code = clean_text(value)
    if code not in spec.vocabulary:
        allowed = ", ".join(spec.vocabulary)
        raise ValidationError(
            f"{spec.label} : valeur « {code[:50]} » inconnue (valeurs permises : {allowed}).",
            field=spec.name,
            value=value,
        )
    return code


def _code_list(spec: FieldSpec, value: Any) -> str | None:
    if is_missing(value):
        return None
    parts = [str(v) for v in value] if _is_list(value) else str(value).split("|")
    codes = [_code(spec, p) for p in parts if p.strip()]
    return "|".join(dict.fromkeys(c for c in codes if c)) or None


def _insee_code(spec: FieldSpec, value: Any) -> str | None:
    if is_missing(value):
        return None
    code = clean_text(value).upper()
    if code.isdigit() and len(code) < 5:
        code = code.zfill(5)
    if len(code) != 5 or not (code.isdigit() or (code[:2] in {"2A", "2B"} and code[2:].isdigit())):
        raise ValidationError(
            f"{spec.label} : code INSEE invalide « {clean_text(value)[:20]} ».",
            field=spec.name,
            value=value,
        )
    return code


def _insee_list(spec: FieldSpec, value: Any) -> str | None:
    if is_missing(value):
        return None
    parts = [str(v) for v in value] if _is_list(value) else str(value).split("|")
    return "|".join(_insee_code(spec, p) for p in parts if p.strip()) or None


_CONVERTERS: Final[dict[str, Callable[[FieldSpec, Any], Any]]] = {
    "text": _text_value,
    "multiline": _text_value,
    "email": _email,
    "phone": _phone,
    "urls": _urls,
    "number": _number,
    "integer": _number,
    "boolean": _boolean,
    "date": _date,
    "code": _code,
    "codes": _code_list,
    "insee": _insee_code,
    "insee_list": _insee_list,
}


def rule_for(spec: FieldSpec) -> Rule:
    """Return the coercion rule ``(field, value) -> value`` of a field spec.

    The rule keeps its spec in ``rule.spec`` (numeric rules are vectorised by
    :func:`clean_column` from it).

    >>> rule_for(PREMISE_FIELDS["levels"])("levels", "2")
    2
    """
    convert = _CONVERTERS[spec.kind]

    def rule(field: str, value: Any) -> Any:
        return convert(spec, value)

    rule.spec = spec
    return rule


PREMISE_RULES: Final[dict[str, Rule]] = {n: rule_for(s) for n, s in PREMISE_FIELDS.items()}
PROJECT_RULES: Final[dict[str, Rule]] = {n: rule_for(s) for n, s in PROJECT_FIELDS.items()}


def _specs_of(rules: Mapping[str, Rule]) -> dict[str, FieldSpec]:
    return {name: getattr(rule, "spec", None) for name, rule in rules.items()}


def clean_values(
    values: Mapping[str, Any],
    rules: Mapping[str, Rule],
    *,
    required: tuple[str, ...] = (),
    label: str = "fiche",
) -> dict[str, Any]:
    """Return the values converted by ``rules``; raise FormErrors naming every bad field.

    >>> clean_values({"levels": "2", "pmr_accessible": "oui"}, PREMISE_RULES)
    {'levels': 2, 'pmr_accessible': True}
    >>> clean_values({"colour": "red"}, PREMISE_RULES)
    Traceback (most recent call last):
    ...
    matcher.errors.FormErrors: Champ inconnu pour une fiche : « colour ».
    """
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    specs = _specs_of(rules)
    for key, value in values.items():
        rule = rules.get(key)
        if rule is None:
            errors[key] = f"Champ inconnu pour une {label} : « {clean_text(key)[:50]} »."
            continue
        try:
            out[key] = rule(key, value)
        except ValidationError as exc:
            errors[key] = str(exc)
    for key in required:
        if key not in errors and is_missing(out.get(key)):
            spec = specs.get(key)
            errors[key] = f"{spec.label if spec else key} : champ obligatoire."
    if errors:
        raise FormErrors(errors)
    return out


def usual_warnings(values: Mapping[str, Any], rules: Mapping[str, Rule]) -> dict[str, str]:
    """Return {field: French warning} for accepted values above their usual maximum."""
    out = {}
    for key, value in values.items():
        spec = getattr(rules.get(key), "spec", None)
        message = spec.usual_warning(value) if spec is not None else None
        if message:
            out[key] = message
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
            f"Surfaces incohérentes : minimum {fr_number(lo)} m² > maximum {fr_number(hi)} m².",
            field="surface_min_m2",
        )
    if target is not None and lo is not None and target < lo:
        raise ValidationError(
            f"Surfaces incohérentes : cible {fr_number(target)} m² < minimum {fr_number(lo)} m².",
            field="surface_target_m2",
        )
    if target is not None and hi is not None and target > hi:
        raise ValidationError(
            f"Surfaces incohérentes : cible {fr_number(target)} m² > maximum {fr_number(hi)} m².",
            field="surface_target_m2",
        )


def clean_message(name: str, value: Any, *, required: bool = True) -> str | None:
    """Return a free text of a request or a shortlist, cleaned and checked (MESSAGE_FIELDS).

    >>> clean_message("message", "  Bonjour\\x00,\\r\\nvisite possible ?  ")
    'Bonjour,\\nvisite possible ?'
    """
    spec = MESSAGE_FIELDS[name]
    text = _text_value(spec, value)
    if text is None and required:
        raise ValidationError(f"{spec.label} : champ obligatoire.", field=name)
    return text


def clean_column(
    field: str, series: Any, rule: Rule
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
    spec: FieldSpec | None = getattr(rule, "spec", None)
    if spec is not None and spec.kind in ("number", "integer") and series.dtype.kind in "iuf":
        integer = spec.kind == "integer"
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(numbers)
        with np.errstate(invalid="ignore"):
            bad = ~missing & np.isinf(numbers)
            if spec.minimum is not None:
                low = numbers <= spec.minimum if spec.exclusive_minimum else numbers < spec.minimum
                bad |= ~missing & low
            if spec.maximum is not None:
                high = numbers >= spec.maximum if spec.exclusive_maximum else numbers > spec.maximum
                bad |= ~missing & high
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
    items: Iterable[Any] = series.tolist() if isinstance(series, pd.Series) else series
    for pos, value in enumerate(items):
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
