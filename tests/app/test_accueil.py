"""Accueil: the territorial key figures with their vintage and source, white zones explained."""

from __future__ import annotations

from .apphelpers import texts


def _frames(at) -> list:
    return [df.value for df in at.dataframe]


def test_home_shows_territorial_figures_with_vintage_and_source(page, actors):
    at = page("accueil", actors["holder"])
    assert not at.exception
    frames = _frames(at)
    key = next(f for f in frames if "Indicateur" in f.columns)
    assert {"Valeur", "Chiffre de la source", "Millésime", "Source"} <= set(key.columns)
    rows = dict(zip(key["Indicateur"], key["Valeur"], strict=True))
    assert rows["Communes Petites Villes de Demain (drapeaux 2023)"] == "1\u202f653"
    assert rows["Sites France Services"] == "2\u202f845"
    density = next(f for f in frames if "Niveau de densité" in f.columns)
    assert density["Niveau de densité"].tolist()[:1] == ["1 · Grands centres urbains"]
    captions = " ".join(texts(at, "caption"))
    assert "liste des tiers-lieux connus est partielle" in captions
    assert "vides ruraux" in captions and "inconnu n'est pas blanc" in captions
    coverage = next(f for f in frames if "Couverture" in f.columns)
    assert len(coverage) == 101
