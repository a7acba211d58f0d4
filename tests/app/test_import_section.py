"""« Mes locaux », bulk import section: French mapping editor, real files, modes, reports, clean-up."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from matcher.services import premises as premise_service

from .apphelpers import button, texts

DATA = Path(__file__).resolve().parents[1] / "data"
CNIG = DATA / "cartofriches_standard" / "friches_standard_extrait.csv"
CSV_OK = (
    "nom;type;code_insee;surface_m2;latitude;longitude\n"
    "Poste importée;bureau de poste;81004;120;43.9289;2.1464\n"
    "École importée;école;81004;480;43.93;2.15\n"
    "Ligne fautive;école;99999;-5;;\n"
)


@pytest.fixture
def tmp_root(tmp_path, monkeypatch) -> Path:
    """Return the folder where temporary folders go during the test (watched)."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _upload(page, actor, name: str, data: bytes):
    at = page("mes_locaux", actor)
    at.file_uploader(key="premises_upload").upload(name, data, "text/csv").run()
    assert not at.exception, at.exception
    return at


def _history(at):
    """Return the import history table shown on the import tab."""
    tables = [d.value for d in at.dataframe if "Fichier" in d.value.columns]
    assert len(tables) == 1
    return tables[0]


def _mine(actor) -> list[dict]:
    return premise_service.list_premises(actor, {"mine": True}, limit=None)


def test_mapping_editor_is_in_french_with_a_no_column_choice(page, actors) -> None:
    at = _upload(page, actors["owner"], "locaux.csv", CSV_OK.encode())
    boxes = {s.label: s for s in at.selectbox if s.key and s.key.startswith("premises_map_")}
    assert "Surface de plancher (m²)" in boxes and "Code INSEE" in boxes
    assert not [label for label in boxes if "_" in label]  # never « floor_area_m2 »
    area = boxes["Surface de plancher (m²)"]
    assert area.value == "surface_m2"
    assert area.options[0] == "— aucune colonne —"
    assert boxes["Surface du terrain (m²)"].value == ""
    assert any("Fichier reconnu" in t for t in texts(at, "info"))


def test_the_automatic_mapping_can_be_cleared_and_restored(page, actors) -> None:
    at = _upload(page, actors["owner"], "locaux.csv", CSV_OK.encode())
    button(at, "Effacer toute la correspondance").click().run()
    values = [s.value for s in at.selectbox if s.key and s.key.startswith("premises_map_")]
    assert values and set(values) == {""}
    button(at, "Vérifier et importer").click().run()
    assert not at.exception
    errors = " ".join(texts(at, "error"))
    assert "Colonne obligatoire absente" in errors and "localisation" in errors
    button(at, "Revenir à la correspondance proposée").click().run()
    assert at.selectbox(key="premises_map_insee_code").value == "code_insee"


def test_a_real_cnig_file_imports_with_the_default_mapping(page, actors, tmp_root) -> None:
    owner = actors["owner"]
    before = len(_mine(owner))
    at = _upload(page, owner, "friches_cnig.csv", CNIG.read_bytes())
    assert any("standard CNIG des friches" in t for t in texts(at, "info"))
    assert at.selectbox(key="premises_map_land_area_m2").value == "unite_fonciere_surface"
    button(at, "Vérifier et importer").click().run()  # default mode: « tout ou rien »
    assert not at.exception
    assert any("426 local(aux) créé(s)" in t for t in texts(at, "success")), texts(at, "error")
    assert any("impropre(s) à l'accueil d'un tiers-lieu" in t for t in texts(at, "warning"))
    after = _mine(owner)
    assert len(after) == before + 426
    imported = [p for p in after if p.get("source") == "friches_cnig"] or after[before:]
    assert {p["status"] for p in imported} <= {"available", "reserved", "withdrawn"}
    assert not list(tmp_root.iterdir())  # no temporary folder left by the reruns
    last = _history(at).iloc[0]
    assert (last["Fichier"], last["Résultat"], last["Créés"]) == (
        "friches_cnig.csv",
        "Importé",
        426,
    )


def test_bulk_import_all_or_nothing_writes_nothing_on_errors(page, actors, tmp_root) -> None:
    owner = actors["owner"]
    before = len(_mine(owner))
    at = _upload(page, owner, "locaux.csv", CSV_OK.encode())
    assert any("Aperçu" in t for t in texts(at, "markdown"))
    at.radio(key="premises_import_mode").set_value("all_or_nothing")
    button(at, "Vérifier et importer").click().run()
    assert not at.exception
    assert any("rejetée" in t for t in texts(at, "text"))
    error = " ".join(texts(at, "error"))
    assert "rien n'a été écrit" in error and "choisissez « lignes valides seulement »" in error
    assert len(_mine(owner)) == before
    last = _history(at).iloc[0]  # the refused attempt is in the history
    assert (last["Fichier"], last["Résultat"]) == ("locaux.csv", "Refusé (rien écrit)")
    assert (last["Créés"], last["Rejetés"]) == (0, 1)
    labels = {d.label for d in at.download_button}
    assert {"Lignes rejetées (CSV)", "Lignes rejetées (XLSX)", "Rapport complet (XLSX)"} <= labels
    report = at.dataframe[[i for i, d in enumerate(at.dataframe) if "motif" in d.value.columns][0]]
    assert list(report.value.columns) == ["ligne", "colonne", "valeur", "motif", "gravité"]
    assert not list(tmp_root.iterdir())


def test_bulk_import_valid_rows_only(page, actors) -> None:
    owner = actors["owner"]
    before = len(_mine(owner))
    at = _upload(page, owner, "locaux2.csv", CSV_OK.encode())
    at.radio(key="premises_import_mode").set_value("valid_only")
    button(at, "Vérifier et importer").click().run()
    assert not at.exception
    assert any("2 local(aux) créé(s)" in t for t in texts(at, "success")), texts(at, "error")
    shown = " ".join(texts(at, "success") + texts(at, "error") + texts(at, "text"))
    assert "choisissez « lignes valides seulement »" not in shown  # the mode already chosen
    after = _mine(owner)
    assert len(after) == before + 2
    assert {"Poste importée", "École importée"} <= {p["name"] for p in after}
    last = _history(at).iloc[0]
    assert (last["Fichier"], last["Résultat"]) == ("locaux2.csv", "Importé")
    assert (last["Créés"], last["Rejetés"], last["Par"]) == (2, 1, owner.email)


def test_unreadable_file_gives_a_french_report(page, actors) -> None:
    at = _upload(page, actors["owner"], "vide.csv", b"")
    assert texts(at, "error") and "Traceback" not in " ".join(texts(at, "error"))
    assert "Fichier vide" in " ".join(texts(at, "error"))


def test_templates_to_download(page, actors) -> None:
    at = page("mes_locaux", actors["owner"])
    labels = {d.label for d in at.download_button}
    assert {"Modèle XLSX (avec le vocabulaire)", "Modèle CSV", "Vocabulaire (CSV)"} <= labels
