"""Holder output services: a project's needs, explained exports, a sheet read in one go."""

from __future__ import annotations

import pytest

from matcher.errors import PermissionDenied, ValidationError
from matcher.services import premises, projects, results, search

NEEDS = {"project_type": "coworking", "target_lon": 5.36, "target_lat": 45.96, "radius_km": 30}


def test_project_needs_fill_a_search_for_its_holder_only(world):
    view = projects.get_project(world.holder_a, world.project_a)
    projects.update_project(
        world.holder_a, world.project_a,
        {"target_lon": 5.36, "target_lat": 45.96, "radius_km": 25, "tenures": "lease|sale"},
        view["version"],
    )  # fmt: skip
    needs = results.project_needs(world.holder_a, world.project_a)
    assert needs["radius_km"] == 25 and needs["tenures"] == ("lease", "sale")
    assert needs["budget_purchase_eur"] == 250_000 and needs["project_name"] == "Coworking A"
    with pytest.raises(PermissionDenied):
        results.project_needs(world.fund, world.project_a)  # reads it, but does not search with it


def test_read_needs_turns_french_text_into_numbers_or_names_the_field(world):
    assert results.read_needs({**NEEDS, "radius_km": "12,5"})["radius_km"] == 12.5
    with pytest.raises(ValidationError) as info:
        results.read_needs({**NEEDS, "surface_min_m2": "grand"})
    assert info.value.field == "surface_min_m2" and "Surface minimale" in str(info.value)


def test_explained_results_carry_the_engines_lines(world):
    table = search.search_premises(world.holder_a, NEEDS, k=10).table
    assert len(table) >= 1
    explained = results.explained_results(world.holder_a, NEEDS, table)
    first = explained.iloc[0]
    engine = search.explain_premise(world.holder_a, NEEDS, int(first["premise_id"]))
    assert first["explanation"] == engine.lines and "km du centre visé" in first["explanation"][0]


def test_sheet_facts_and_lines_come_from_the_same_record(world):
    version = premises.get_premise(world.owner_a, world.premise_a)["version"]
    premises.update_premise(world.owner_a, world.premise_a, {"pmr_accessible": False}, version)
    sheet = results.sheet_for(world.holder_a, NEEDS, world.premise_a, project_name="Essai")
    facts = dict(sheet.facts)
    assert facts["Accessible PMR"] == "non"
    assert not any("Accessible PMR" in line and "inconnu" in line for line in sheet.lines)
    assert "heure de Paris" in sheet.footer and "« Essai »" in sheet.subtitle
    assert "secret@commune-a.fr" not in str(sheet)  # public record only


def test_a_nul_already_stored_never_breaks_the_exports(world):
    import io

    import openpyxl
    from sqlalchemy import update

    from matcher import exports
    from matcher.storage.db import session_scope
    from matcher.storage.models import Premise

    with session_scope() as s:  # written before the services cleaned texts: bypass them
        s.execute(
            update(Premise)
            .where(Premise.id == world.premise_a)
            .values(name="Poste\x00 \x1b[31mrouge", address="1 rue\x0b de la Gare")
        )
    # a write through the service moves the catalogue, so the search sees the stored name
    version = premises.get_premise(world.owner_a, world.premise_a)["version"]
    premises.update_premise(world.owner_a, world.premise_a, {"levels": 2}, version)
    table = search.search_premises(world.holder_a, NEEDS, k=10).table
    explained = results.explained_results(world.holder_a, NEEDS, table)
    data = exports.to_xlsx_bytes({"Résultats": explained}, exports.RESULT_COLUMNS)
    ws = openpyxl.load_workbook(io.BytesIO(data))["Résultats"]
    names = [row[4].value for row in ws.iter_rows(min_row=2)]
    assert "Poste [31mrouge" in names
    assert exports.to_csv_bytes(explained, exports.RESULT_COLUMNS).count(b"\x00") == 0
    sheet = results.sheet_for(world.holder_a, NEEDS, world.premise_a)
    assert exports.premise_pdf(sheet).startswith(b"%PDF-") and sheet.title == "Poste [31mrouge"
