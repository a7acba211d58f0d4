"""Validation report: all issues at once, French summary, CSV with formulas neutralised."""

from __future__ import annotations

import csv

from matcher.ingestion.report import ValidationReport, neutralize_formula


def _report(mode: str = "all_or_nothing") -> ValidationReport:
    r = ValidationReport(source="dep35", filename="locaux.csv", mode=mode)
    r.rows_read = 5
    r.error(3, "surface", "-12", "Surface négative : impossible.")
    r.error(3, "code_insee", "99999", "Code INSEE inconnu du référentiel des communes.")
    r.error(5, "nom", '=HYPERLINK("http://x")', "Nom manquant.")
    r.warning(4, "commune", "@SUM(A1)", "Commune devinée.")
    return r


def test_counts_and_rejected_lines() -> None:
    r = _report()
    assert r.rejected_lines() == [3, 5]
    assert (r.rows_rejected, r.rows_valid) == (2, 3)
    assert len(r.errors) == 3 and len(r.warnings) == 1


def test_summary_says_mode_and_outcome() -> None:
    text = _report().summary()
    assert "5 lignes lues, 3 valides, 2 rejetées, 1 avertissement." in text
    assert "« tout ou rien »" in text and "rien n'est importé" in text
    assert not _report().importable()
    valid_only = _report("valid_only")
    assert "« lignes valides seulement »" in valid_only.summary()
    assert "2 lignes en erreur : 3 lignes valides sont importées" in valid_only.summary()
    assert valid_only.importable()


def test_advice_never_recommends_the_mode_already_chosen() -> None:
    strict = _report("all_or_nothing").outcome()
    assert "choisissez « lignes valides seulement »" in strict
    assert "2 lignes en erreur" in strict and "3 autres" in strict
    lenient = _report("valid_only").outcome()
    assert "choisissez" not in lenient and "lignes valides seulement" not in lenient
    assert "rapport des lignes rejetées" in lenient


def test_summary_names_the_layout_recognised_and_the_columns_left_aside() -> None:
    r = _report()
    assert r.summary().startswith("Fichier reconnu : tableau simple")
    r.recognised, r.profile_note = "standard CNIG des friches", "friches avec projet réservées."
    r.notes.append("« bati_surface » est vide sur toutes les lignes : laissée de côté.")
    text = r.summary()
    assert text.startswith("Fichier reconnu : standard CNIG des friches. Friches avec projet")
    assert "correspondance : « bati_surface » est vide" in text


def test_report_files_have_french_headers_and_errors_only_option() -> None:
    import io

    import openpyxl

    r = _report()
    data = r.to_xlsx_bytes(errors_only=True)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    rows = list(wb["Rapport"].iter_rows(values_only=True))
    assert rows[0] == ("ligne", "colonne", "valeur", "motif", "gravité")
    assert [row[0] for row in rows[1:]] == [3, 3, 5]  # the warning of line 4 is left out
    assert rows[-1][2] == '\'=HYPERLINK("http://x")'  # text, never a formula
    assert wb["Résumé"]["A1"].value.startswith("Fichier reconnu")
    text = r.to_csv_bytes().decode("utf-8")
    assert text.startswith("\ufeffligne;colonne;valeur;motif;gravité")
    assert text.count("\n") == 2 + len(r.issues)


def test_file_error_rejects_everything() -> None:
    r = ValidationReport(source="s", filename="f.csv", mode="valid_only")
    r.rows_read = 10
    r.error(0, "(fichier)", "f.csv", "Fichier vide.")
    assert r.rows_rejected == 10 and not r.importable()
    assert "Le fichier entier est refusé : Fichier vide." in r.summary()


def test_csv_export_neutralises_formulas(tmp_path) -> None:
    path = _report().to_csv(tmp_path / "rapport.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == ["ligne", "colonne", "valeur", "motif", "gravité"]
    values = [r[2] for r in rows[2:]]
    assert '\'=HYPERLINK("http://x")' in values
    assert "'@SUM(A1)" in values
    assert "'-12" in values  # a text cell starting with "-" is neutralised too
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert [r[0] for r in rows[2:]] == ["3", "3", "4", "5"]
    assert {r[4] for r in rows[2:]} == {"erreur", "avertissement"}


def test_neutralize_formula_leaves_numbers_and_text() -> None:
    assert neutralize_formula(-3) == "-3"
    assert neutralize_formula("+33 1 23") == "'+33 1 23"
    assert neutralize_formula("Mairie") == "Mairie"
    assert neutralize_formula(None) == ""
