"""The field registry: consistent specs, one set of bounds for forms, services and the engine."""

from __future__ import annotations

import math
import re

import hypothesis.strategies as hst
import pytest
from hypothesis import given, settings

from matcher import fields as F
from matcher.errors import FormErrors, ValidationError
from matcher.needs import ProjectNeeds
from matcher.services.fields import PREMISE_RULES, PROJECT_RULES, clean_values, usual_warnings
from matcher.storage.models import Premise, Project

ALL_SPECS = [
    *F.PREMISE_FIELDS.values(),
    *F.PROJECT_FIELDS.values(),
    *F.NEEDS_FIELDS.values(),
    *F.MESSAGE_FIELDS.values(),
    *F.RESULT_FIELDS.values(),
]


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda s: s.name)
def test_every_spec_is_consistent(spec):
    assert spec.label and spec.label[0].isupper() and "_" not in spec.label
    if spec.minimum is not None and spec.maximum is not None:
        assert spec.minimum < spec.maximum
    if spec.usual_maximum is not None:
        assert spec.maximum is not None and spec.usual_maximum < spec.maximum
        assert spec.minimum is None or spec.minimum < spec.usual_maximum
    if spec.kind in ("code", "codes"):
        assert spec.vocabulary and all(spec.vocabulary.values())
    if spec.kind in F.TEXT_KINDS and spec in F.PREMISE_FIELDS.values():
        assert spec.max_length is not None


def test_registry_covers_every_stored_column_of_premises_and_projects():
    bookkeeping = {"id", "organisation_id", "import_batch_id", "catalogue_seq", "version",
                   "created_at", "updated_at", "applied_to_fund", "applied_at"}  # fmt: skip
    assert set(Premise.__table__.columns.keys()) - bookkeeping == set(F.PREMISE_FIELDS)
    assert set(Project.__table__.columns.keys()) - bookkeeping == set(F.PROJECT_FIELDS)


def test_text_lengths_fit_the_columns():
    for model, specs in ((Premise, F.PREMISE_FIELDS), (Project, F.PROJECT_FIELDS)):
        for name, spec in specs.items():
            length = getattr(model.__table__.c[name].type, "length", None)
            if spec.kind in F.TEXT_KINDS and length is not None:
                assert spec.max_length <= length, name


def test_the_bounds_named_in_the_issue_are_one_value_each():
    # levels were capped at 60 on import and 200 in forms; rent had no bound in forms
    assert F.PREMISE_FIELDS["levels"].maximum == 60
    with pytest.raises(ValidationError, match="hors bornes"):
        clean_values({"levels": 61}, PREMISE_RULES)
    rent = F.PREMISE_FIELDS["rent_eur_m2_year"]
    assert clean_values({"rent_eur_m2_year": 2500}, PREMISE_RULES) == {"rent_eur_m2_year": 2500.0}
    assert usual_warnings({"rent_eur_m2_year": 2500.0}, PREMISE_RULES)["rent_eur_m2_year"]
    with pytest.raises(ValidationError, match="hors bornes"):
        clean_values({"rent_eur_m2_year": rent.maximum + 1}, PREMISE_RULES)


def test_every_bad_field_of_a_form_is_named_at_once():
    with pytest.raises(FormErrors) as info:
        clean_values(
            {"floor_area_m2": -50, "levels": "deux", "kind": "château"},
            PREMISE_RULES,
            required=("kind",),
        )
    errors = info.value.errors
    assert set(errors) == {"floor_area_m2", "levels", "kind"}
    assert errors["floor_area_m2"] == "Surface de plancher : -50 m² est hors bornes (minimum 0 m²)."
    assert "Nombre de niveaux" in errors["levels"] and "deux" in errors["levels"]
    assert "floor_area_m2" not in str(info.value)  # labels, not codes


NEEDS_NUMBERS = [
    name
    for name in ProjectNeeds.__dataclass_fields__
    if name in F.PROJECT_FIELDS
    and F.PROJECT_FIELDS[name].kind == "number"
    and name not in ("target_lon", "target_lat")  # a centre is also checked against France
] + list(F.NEEDS_FIELDS)


@settings(max_examples=200, deadline=None)
@given(
    name=hst.sampled_from(NEEDS_NUMBERS),
    value=hst.one_of(
        hst.floats(allow_nan=False, allow_infinity=True),
        hst.sampled_from([0.0, 1.0, 300.0, 1000.0, 1e6, 1e9, 1e10, -1e-9]),
    ),
)
def test_services_and_engine_needs_accept_exactly_the_same_numbers(name, value):
    spec = F.PROJECT_FIELDS.get(name) or F.NEEDS_FIELDS[name]
    in_bounds = spec.bounds_error(value) is None
    record = {name: value}
    if name == "radius_km":  # a radius needs a centre
        record.update(target_lon=2.35, target_lat=48.85)
    try:
        ProjectNeeds.from_record(record)
        engine_ok = True
    except ValidationError:
        engine_ok = False
    assert engine_ok == in_bounds
    if name in PROJECT_RULES:
        try:
            PROJECT_RULES[name](name, value)
            service_ok = True
        except ValidationError:
            service_ok = False
        assert service_ok == in_bounds


CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@settings(max_examples=300, deadline=None)
@given(text=hst.text(alphabet=hst.characters(codec="utf-8"), max_size=60), multi=hst.booleans())
def test_clean_text_leaves_no_control_character_and_is_idempotent(text, multi):
    cleaned = F.clean_text(text, multiline=multi)
    assert not CONTROL.search(cleaned)
    assert "\r" not in cleaned and (multi or ("\n" not in cleaned and "\t" not in cleaned))
    assert F.clean_text(cleaned, multiline=multi) == cleaned


def test_every_text_field_strips_nul_at_the_service_layer():
    for rules in (PREMISE_RULES, PROJECT_RULES):
        for name, rule in rules.items():
            if rule.spec.kind in ("text", "multiline"):
                assert rule(name, "A\x00B\x1bC") == "ABC", name
    assert PREMISE_RULES["description"]("description", "l1\r\nl2\x00") == "l1\nl2"


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("floor_area_m2", 82.36508541007846, "82 m²"),
        ("distance_to_station_m", 1234.5678, "1,2 km"),
        ("rent_eur_m2_year", 1250.0, "1\u202f250 €/m²/an"),
        ("pmr_accessible", None, "non renseigné"),
        ("pmr_accessible", True, "oui"),
        ("tenure", "lease", "Bail"),
        ("available_from", "2026-01-31", "31/01/2026"),
        ("levels", 3.0, "3"),
    ],
)
def test_values_are_shown_the_french_way(field, value, shown):
    assert F.PREMISE_FIELDS[field].format(value) == shown


def test_result_fields_round_ids_to_integers_and_scale_percentages():
    assert F.RESULT_FIELDS["premise_id"].format(3.0) == "3"
    assert F.RESULT_FIELDS["completeness"].format(0.7692) == "77 %"
    assert F.RESULT_FIELDS["score_0_100"].format(71.5) == "72/100"
    assert F.RESULT_FIELDS["distance_m"].shown_number(82365.08541007846) == 82.4


@given(hst.floats(min_value=-1e12, max_value=1e12), hst.integers(0, 3))
def test_fr_number_reads_back_as_the_rounded_number(x, decimals):
    text = F.fr_number(x, decimals)
    back = float(text.replace("\u202f", "").replace(",", "."))
    assert math.isclose(back, F.round_half_up(x, decimals), abs_tol=10**-decimals)


def test_links_accept_web_addresses_only():
    rule = PREMISE_RULES["links"]
    assert (
        rule("links", " https://a.fr/p.jpg \n\nhttp://b.fr ") == "https://a.fr/p.jpg\nhttp://b.fr"
    )
    for bad in ("javascript:alert(1)", "ftp://x.fr", "www.site.fr", "https://a b"):
        with pytest.raises(ValidationError, match="adresse web"):
            rule("links", bad)


@pytest.mark.parametrize(
    ("field", "value"), [("contact_email", "pas-un-mail"), ("contact_phone", "appelez-moi")]
)
def test_contact_fields_are_checked(field, value):
    with pytest.raises(ValidationError, match="invalide"):
        PREMISE_RULES[field](field, value)


def test_fold_makes_searches_accent_and_case_insensitive():
    assert F.fold("CAPDENAC-GARE") == F.fold("capdenac-gare")
    assert F.fold("Saint-Étienne") == "saint-etienne"


def test_identifiers_are_shown_without_thousands_separator():
    from matcher.exports import display_table

    shown = display_table([{"id": 1029.0, "floor_area_m2": 1029.0}], ["id", "floor_area_m2"])
    assert shown.to_dict("records") == [{"N°": "1029", "Surface de plancher": "1\u202f029 m²"}]
