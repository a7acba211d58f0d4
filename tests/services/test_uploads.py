"""Upload service: bytes in, preview / mapping / outcome out, temporary folder always deleted."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matcher.errors import ImportFileError, PermissionDenied
from matcher.services import uploads
from matcher.storage.db import session_scope
from matcher.storage.models import ImportBatch, Premise

DATA = Path(__file__).resolve().parents[1] / "data"
CNIG = DATA / "cartofriches_standard" / "friches_standard_extrait.csv"
CSV = (
    "nom;type;code_insee;surface_m2;latitude;longitude\n"
    "Poste importée;bureau de poste;81004;120;43.9289;2.1464\n"
    "École importée;école;81004;480;43.93;2.15\n"
    "Ligne fautive;école;99999;-5;;\n"
).encode()


@pytest.fixture
def tmp_root(tmp_path, monkeypatch) -> Path:
    """Return the folder where the service's temporary folders go (watched by the tests)."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _count(source: str | None = None) -> int:
    with session_scope(write=False) as s:
        query = select(func.count()).select_from(Premise)
        return s.scalar(query if source is None else query.where(Premise.source == source))


def _batches() -> list[ImportBatch]:
    with session_scope(write=False) as s:
        return list(s.scalars(select(ImportBatch).order_by(ImportBatch.id)))


def test_preview_of_a_cnig_file_with_french_labels_and_no_folder_left(world, tmp_root) -> None:
    preview = uploads.preview_upload(world.owner_a, CNIG.read_bytes(), "friches.csv")
    assert not list(tmp_root.iterdir())  # the temporary folder is gone
    assert preview.recognised.startswith("Fichier reconnu : standard CNIG des friches.")
    assert (preview.rows, preview.format_label) == (
        426,
        "CSV (séparateur « ; », encodage UTF-8)",
    )
    assert preview.labels["floor_area_m2"] == "Surface de plancher (m²)"
    assert not [label for label in preview.labels.values() if "_" in label]
    assert preview.mapping["land_area_m2"] == "unite_fonciere_surface"
    assert preview.mapping["floor_area_m2"] == "bati_surface"  # NA everywhere, nothing better
    assert any("« bati_surface »" in n and "vide" in n for n in preview.notes)
    assert len(preview.head) == uploads.PREVIEW_ROWS
    assert set(preview.mapping) == set(preview.labels)


def test_a_real_cnig_file_imports_every_row_with_the_default_mapping(world, tmp_root) -> None:
    outcome = uploads.import_upload(world.owner_a, CNIG.read_bytes(), "friches.csv")
    assert not list(tmp_root.iterdir())
    assert outcome.ok and outcome.batch.inserted == 426 and outcome.rows_rejected == 0
    assert outcome.message.startswith(f"Import n°{outcome.batch.batch_id} : 426 local(aux) créé(s)")
    assert outcome.unsuitable == 86  # landfills, quarries... imported as withdrawn
    with session_scope(write=False) as s:
        rows = s.execute(
            select(Premise.status, func.count())
            .where(Premise.source == "friches")
            .group_by(Premise.status)
        ).all()
        assert dict(rows) == {"available": 252, "reserved": 82, "withdrawn": 92}
        kinds = set(s.scalars(select(Premise.kind).where(Premise.source == "friches")))
        assert "other" not in kinds and "unknown_friche" in kinds
    again = uploads.import_upload(world.owner_a, CNIG.read_bytes(), "friches.csv")
    assert (again.batch.inserted, again.batch.unchanged) == (0, 426)  # re-import updates, no copies
    assert _count("friches") == 426


def test_all_or_nothing_refuses_records_the_attempt_and_advises_the_other_mode(
    world, tmp_root
) -> None:
    before = _count()
    outcome = uploads.import_upload(world.owner_a, CSV, "locaux.csv", mode="all_or_nothing")
    assert outcome.status == "refused" and _count() == before
    assert "choisissez « lignes valides seulement »" in outcome.message
    assert _batches()[-1].status == "refused" and _batches()[-1].rows_rejected == 1
    rows = list(csv.reader(io.StringIO(outcome.rejected_csv.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["ligne", "colonne", "valeur", "motif", "gravité"]
    assert {r[0] for r in rows[2:]} == {"4"}
    assert not list(tmp_root.iterdir())


def test_valid_only_imports_the_others_and_never_advises_the_mode_chosen(world, tmp_root) -> None:
    before = _count()
    outcome = uploads.import_upload(world.owner_a, CSV, "locaux.csv", mode="valid_only")
    assert outcome.ok and _count() == before + 2
    assert "1 ligne(s) rejetée(s)" in outcome.message
    assert "choisissez" not in outcome.summary and "choisissez" not in outcome.message
    assert "rapport des lignes rejetées" in outcome.summary


def test_the_mapping_chosen_in_the_editor_is_the_one_used(world, tmp_root) -> None:
    preview = uploads.preview_upload(world.owner_a, CSV, "locaux3.csv")
    mapping = {**preview.mapping, "name": "", "floor_area_m2": ""}  # « aucune colonne »
    uploads.import_upload(world.owner_a, CSV, "locaux3.csv", mapping, mode="valid_only")
    with session_scope(write=False) as s:
        rows = s.execute(
            select(Premise.name, Premise.floor_area_m2).where(Premise.source == "locaux3")
        ).all()
    assert rows and all(name == "" and area is None for name, area in rows)


def test_an_unreadable_file_is_a_french_error_and_leaves_no_folder(world, tmp_root) -> None:
    with pytest.raises(ImportFileError, match="Fichier vide"):
        uploads.preview_upload(world.owner_a, b"", "vide.csv")
    outcome = uploads.import_upload(world.owner_a, b"\x00\x01" * 100, "binaire.csv")
    assert outcome.status == "nothing" and "Rien n'a été écrit" in outcome.message
    assert not list(tmp_root.iterdir())


def test_a_file_over_the_limit_is_refused_before_being_written(
    world, tmp_root, monkeypatch
) -> None:
    from matcher import settings

    monkeypatch.setattr(settings, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(ImportFileError, match="Fichier trop volumineux"):
        uploads.preview_upload(world.owner_a, CSV, "gros.csv")
    assert not list(tmp_root.iterdir())


def test_only_owners_and_admins_may_upload(world, tmp_root) -> None:
    with pytest.raises(PermissionDenied):
        uploads.preview_upload(world.holder_a, CSV, "locaux.csv")
    with pytest.raises(PermissionDenied):
        uploads.import_upload(world.fund, CSV, "locaux.csv")


def test_a_file_named_like_a_known_dataset_still_gets_the_generic_import(world, tmp_root) -> None:
    """An upload named « laposte.csv » must not be read by the La Poste adapter."""
    outcome = uploads.import_upload(world.owner_a, CSV, "laposte.csv", mode="valid_only")
    assert outcome.ok and outcome.batch.inserted == 2


def test_template_files() -> None:
    files = {f.filename: f for f in uploads.template_files()}
    assert set(files) == {
        "modele_import_locaux.xlsx",
        "modele_import_locaux.csv",
        "vocabulaire_import_locaux.csv",
    }
    assert files["modele_import_locaux.xlsx"].data.startswith(b"PK")
    assert (
        files["modele_import_locaux.csv"]
        .data.decode("utf-8-sig")
        .startswith("Identifiant;Nom du local")
    )
