"""Mes locaux: the bulk import section (the list, forms and sheet: test_mes_locaux_list.py)."""

from __future__ import annotations

from matcher.services import premises as premise_service

from .apphelpers import button, texts

CSV_OK = (
    "nom;type;code_insee;surface_m2;latitude;longitude\n"
    "Poste importée;bureau de poste;81004;120;43.9289;2.1464\n"
    "École importée;école;81004;480;43.93;2.15\n"
    "Ligne fautive;école;99999;-5;;\n"
)


def test_bulk_import_all_or_nothing_writes_nothing_on_errors(page, actors):
    owner = actors["owner"]
    before = len(premise_service.list_premises(owner, {"mine": True}, limit=None))
    at = page("mes_locaux", owner)
    at.file_uploader(key="premises_upload").upload("locaux.csv", CSV_OK.encode(), "text/csv").run()
    assert not at.exception
    assert any("Aperçu" in t for t in texts(at, "markdown"))
    at.radio(key="premises_import_mode").set_value("all_or_nothing")
    button(at, "Vérifier et importer").click().run()
    assert not at.exception
    assert any("rejetée" in t for t in texts(at, "text"))
    assert texts(at, "error")
    assert len(premise_service.list_premises(owner, {"mine": True}, limit=None)) == before
    last = _history(at).iloc[0]  # the refused attempt is in the history
    assert (last["Fichier"], last["Résultat"]) == ("locaux.csv", "Refusé (rien écrit)")
    assert (last["Créés"], last["Rejetés"]) == (0, 1)


def _history(at):
    """Return the import history table shown on the import tab."""
    tables = [d.value for d in at.dataframe if "Fichier" in d.value.columns]
    assert len(tables) == 1
    return tables[0]


def test_bulk_import_valid_rows_only(page, actors):
    owner = actors["owner"]
    before = len(premise_service.list_premises(owner, {"mine": True}, limit=None))
    at = page("mes_locaux", owner)
    at.file_uploader(key="premises_upload").upload("locaux2.csv", CSV_OK.encode(), "text/csv").run()
    at.radio(key="premises_import_mode").set_value("valid_only")
    button(at, "Vérifier et importer").click().run()
    assert not at.exception
    assert any("2 local(aux) créé(s)" in t for t in texts(at, "success")), texts(at, "error")
    after = premise_service.list_premises(owner, {"mine": True}, limit=None)
    assert len(after) == before + 2
    assert {"Poste importée", "École importée"} <= {p["name"] for p in after}
    last = _history(at).iloc[0]
    assert (last["Fichier"], last["Résultat"]) == ("locaux2.csv", "Importé")
    assert (last["Créés"], last["Rejetés"], last["Par"]) == (2, 1, owner.email)


def test_unreadable_file_gives_a_french_report(page, actors):
    at = page("mes_locaux", actors["owner"])
    at.file_uploader(key="premises_upload").upload("vide.csv", b"", "text/csv").run()
    assert not at.exception
    assert texts(at, "error") and "Traceback" not in " ".join(texts(at, "error"))
