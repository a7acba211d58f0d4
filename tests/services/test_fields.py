"""Value rules: the column-wise cleaner gives exactly what the per-value rule gives."""

from __future__ import annotations

import datetime as dt

import hypothesis.strategies as hst
import pandas as pd
import pytest
from hypothesis import given, settings

from matcher.errors import ValidationError
from matcher.services.fields import (
    PREMISE_RULES,
    PROJECT_RULES,
    clean_column,
    clean_values,
    is_missing,
)


def _per_value(field, values, rule):
    out, errors = [], set()
    for pos, value in enumerate(values):
        if is_missing(value):
            out.append(None)
            continue
        try:
            out.append(rule(field, value))
        except ValidationError:
            out.append(None)
            errors.add(pos)
    return out, errors


NUMBERS = hst.one_of(
    hst.none(),
    hst.floats(allow_nan=True, allow_infinity=True, width=64),
    hst.integers(-(10**6), 10**6),
)
MIXED = hst.one_of(
    NUMBERS,
    hst.sampled_from(["shop", "good", "ftth", "oui", "non", "12,5", "2024-05-01", "x", " "]),
    hst.booleans(),
    hst.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1)),
)
FIELDS = sorted(PREMISE_RULES) + [f"project:{f}" for f in sorted(PROJECT_RULES)]


def _rule(name):
    if name.startswith("project:"):
        field = name.split(":", 1)[1]
        return field, PROJECT_RULES[field]
    return name, PREMISE_RULES[name]


@settings(max_examples=60, deadline=None)
@given(name=hst.sampled_from(FIELDS), values=hst.lists(MIXED, max_size=12))
def test_clean_column_matches_the_rule_on_mixed_columns(name, values):
    field, rule = _rule(name)
    series = pd.Series(values, dtype=object)
    got, errors = clean_column(field, series, rule)
    expected, expected_errors = _per_value(field, values, rule)
    assert set(errors) == expected_errors
    assert got == expected


@settings(max_examples=60, deadline=None)
@given(
    name=hst.sampled_from(["floor_area_m2", "levels", "lat", "lon", "parking_spaces", "price_eur"]),
    values=hst.lists(
        hst.one_of(hst.floats(allow_nan=True, allow_infinity=True), hst.integers(-50, 500)),
        max_size=12,
    ),
)
def test_numeric_fast_path_matches_the_rule(name, values):
    field, rule = _rule(name)
    series = pd.Series(values, dtype="float64")
    got, errors = clean_column(field, series, rule)
    expected, expected_errors = _per_value(field, series.tolist(), rule)
    assert set(errors) == expected_errors
    assert got == expected
    assert all(type(v) in (int, float, type(None)) for v in got)  # plain Python for the driver


def test_required_fields():
    with pytest.raises(ValidationError, match="obligatoire"):
        clean_values({"name": "x"}, PROJECT_RULES, required=("name", "project_type"))
