"""SQL for listing premises: filters, accent-insensitive text search, sorts, paging.

Everything runs in the database (WHERE, ORDER BY, LIMIT/OFFSET, COUNT), so a
page of 50 premises costs the same for an organisation with 50 premises or
50,000. Text search is accent- and case-insensitive on SQLite and
PostgreSQL alike without a stored "search" column: each letter of the query
becomes a character class of its accented and upper-case forms (GLOB on
SQLite, a case-insensitive regular expression on PostgreSQL), and a commune
name is matched through the territorial reference (its INSEE codes).

>>> glob_pattern("Ecole")
'*[EeÈÉÊËèéêë][CcÇç][OoÒÓÔÕÖòóôõö][Ll][EeÈÉÊËèéêë]*'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import Select, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from matcher.errors import ValidationError
from matcher.fields import PREMISE_FIELDS, fold
from matcher.services._common import Actor, known_filters, organisation_listing
from matcher.storage.models import Premise

#: Filters understood by the listings (see :func:`filtered_query`).
FILTERS: Final[tuple[str, ...]] = (
    "organisation_id",
    "status",
    "kind",
    "insee_code",
    "departement",
    "min_floor_area_m2",
    "max_floor_area_m2",
    "import_batch_id",
    "source",
    "mine",
    "q",
)
#: Sort keys of :func:`ordered` (column names) with their French labels.
SORTS: Final[dict[str, str]] = {
    "id": "Numéro",
    "name": "Nom",
    "kind": "Type",
    "insee_code": "Commune (code INSEE)",
    "floor_area_m2": "Surface",
    "rent_eur_m2_year": "Loyer",
    "price_eur": "Prix",
    "status": "Statut",
    "updated_at": "Dernière modification",
}
#: Columns the text search looks into (besides the commune name).
SEARCHED: Final[tuple[str, ...]] = ("name", "address", "source_id", "insee_code")
#: Most communes a name may stand for in one search (bounded IN list).
MAX_COMMUNES = 2000

_VARIANTS = {
    "a": "aàáâãäå",
    "c": "cç",
    "e": "eèéêë",
    "i": "iìíîï",
    "n": "nñ",
    "o": "oòóôõö",
    "u": "uùúûü",
    "y": "yýÿ",
}


def _classes(text: str) -> list[tuple[str, str]]:
    """Return (kind, chars) per character of the folded query: letters become classes."""
    out = []
    for ch in fold(text):
        if ch.isalpha():
            variants = _VARIANTS.get(ch, ch)
            chars = "".join(sorted(set(variants) | set(variants.upper())))
            out.append(("class", chars))
        else:
            out.append(("literal", ch))
    return out


def glob_pattern(text: str) -> str:
    """Return a SQLite GLOB pattern matching ``text`` anywhere, any accent or case."""
    parts = []
    for kind, chars in _classes(text):
        if kind == "class" and len(chars) > 1:
            parts.append(f"[{chars}]")
        elif chars in "*?[]":
            parts.append(f"[{chars}]")  # GLOB has no escape character: a class of one
        else:
            parts.append(chars)
    return "*" + "".join(parts) + "*"


def regex_pattern(text: str) -> str:
    """Return a PostgreSQL regular expression matching ``text``, any accent or case.

    >>> regex_pattern("a.b")
    '[AaÀÁÂÃÄÅàáâãäå]\\\\.[Bb]'
    """
    parts = []
    for kind, chars in _classes(text):
        parts.append(f"[{chars}]" if kind == "class" and len(chars) > 1 else re.escape(chars))
    return "".join(parts)


def text_condition(dialect: str, column: Any, text: str) -> ColumnElement[bool]:
    """Return "``column`` contains ``text``" ignoring accents and case, for this dialect."""
    if dialect == "sqlite":
        return column.op("GLOB")(glob_pattern(text))
    if dialect == "postgresql":
        return column.op("~*")(regex_pattern(text))
    return func.lower(column).contains(fold(text), autoescape=True)


def commune_codes(text: str) -> list[str]:
    """Return the INSEE codes of communes whose name contains ``text`` (accents ignored)."""
    if len(fold(text).strip()) < 3:
        return []
    from matcher.territory import load_territory

    found = load_territory().search(text, limit=MAX_COMMUNES)
    return [str(code) for code in found.index]


def _number(name: str, value: Any) -> float | None:
    from matcher.services.fields import parse_number

    try:
        return parse_number(PREMISE_FIELDS["floor_area_m2"], value)
    except ValidationError as exc:
        raise ValidationError(f"Filtre : {exc}", field=name) from None


def filtered_query(
    actor: Actor, filters: Mapping[str, Any] | None, *, dialect: str, columns: Any = None
) -> Select:
    """Return the SELECT of the premises the actor may see that match ``filters``.

    Without ``columns`` it selects ``(Premise, owner name)``; otherwise the
    given columns (the map asks for a few light ones).
    """
    filters = known_filters(filters, FILTERS)
    if columns is None:
        query = organisation_listing(Premise, actor, filters)
    else:
        query = select(*columns)
        if filters.get("mine"):
            query = query.where(Premise.organisation_id == actor.organisation_id)
        if filters.get("organisation_id") is not None:
            query = query.where(Premise.organisation_id == int(filters["organisation_id"]))
    for key in ("status", "kind", "insee_code", "source"):
        value = filters.get(key)
        if value is None or (not isinstance(value, str) and not list(value)):
            continue
        values = [value] if isinstance(value, str) else list(value)
        query = query.where(getattr(Premise, key).in_(values))
    if filters.get("departement"):
        deps = filters["departement"]
        deps = [deps] if isinstance(deps, str) else list(deps)
        query = query.where(or_(*(Premise.insee_code.startswith(str(d)) for d in deps)))
    if filters.get("import_batch_id") is not None:
        query = query.where(Premise.import_batch_id == int(filters["import_batch_id"]))
    low = _number("min_floor_area_m2", filters.get("min_floor_area_m2"))
    if low is not None:
        query = query.where(Premise.floor_area_m2 >= low)
    high = _number("max_floor_area_m2", filters.get("max_floor_area_m2"))
    if high is not None:
        query = query.where(Premise.floor_area_m2 <= high)
    text = str(filters.get("q") or "").strip()[:100]
    if fold(text).strip():
        matches = [text_condition(dialect, getattr(Premise, c), text) for c in SEARCHED]
        codes = commune_codes(text)
        if codes:
            matches.append(Premise.insee_code.in_(codes))
        query = query.where(or_(*matches))
    if not actor.is_admin:
        visible = Premise.status != "withdrawn"
        if actor.role == "owner":
            visible = visible | (Premise.organisation_id == actor.organisation_id)
        query = query.where(visible)
    return query


def ordered(query: Select, sort: str = "id", descending: bool = False) -> Select:
    """Return ``query`` ordered by ``sort`` (unknown values last, then by id: stable pages)."""
    if sort not in SORTS:
        raise ValidationError(
            f"Tri inconnu « {sort} » (tris possibles : {', '.join(SORTS.values())}).",
            field="sort",
        )
    column = getattr(Premise, sort)
    key = column.desc() if descending else column.asc()
    tie = Premise.id.desc() if descending else Premise.id.asc()
    if sort == "id":
        return query.order_by(tie)
    return query.order_by(column.is_(None), key, tie)


def count_of(query: Select) -> Select:
    """Return the SELECT counting the rows of ``query`` (without its ordering)."""
    return select(func.count()).select_from(query.order_by(None).subquery())
