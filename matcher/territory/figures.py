"""Key territorial figures computed from the reference tables, next to what the sources state.

Each :class:`KeyFigure` carries the value the project computes, the figure
the source states (when it states one), the vintage and the source, and a
French note saying why the two differ when they do (a placeholder row,
arrondissements counted as their commune, collectivités d'outre-mer outside
the reference). The home page shows them; the tests assert them.

>>> figs = {f.key: f for f in territory_key_figures()}
>>> figs["pvd_2023"].value, figs["pvd_2023"].stated
(1653, 1653)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from matcher.territory.zoning import (
    DENSITY_7_LABELS,
    DENSITY_7_TO_3,
    RURAL_DENSITY_LEVELS,
    france_services_sites,
    read_table,
)

#: What the sources state (the issue's figures, from each SOURCE.md and the ANCT / State pages).
STATED = {
    "pvd_2021": 1_607,
    "pvd_2023": 1_653,
    "pvd_both": 1_593,
    "pvd_only_2021": 14,
    "pvd_only_2023": 60,
    "frr": 19_934,
    "france_services_sites": 2_845,
    "france_services_communes": 2_619,
}
#: INSEE on its grid (Insee Focus / "La France et ses territoires"): 88 % of communes are
#: rural and gather a third of the population (grid of 2020; the 2025 grid keeps the definitions).
STATED_RURAL_SHARE_COMMUNES = 0.88
STATED_RURAL_SHARE_POPULATION = 1 / 3
#: Sites of the France Services list outside the reference (Saint-Martin, a collectivité d'outre-mer).
FRANCE_SERVICES_OUTSIDE = 2


@dataclass(frozen=True)
class KeyFigure:
    """One figure: computed value, the source's own figure, vintage, source and why they differ."""

    key: str
    label: str
    value: int
    unit: str
    vintage: str
    source: str
    stated: int | None = None
    note: str = ""

    @property
    def matches(self) -> bool:
        """Return True if the computed value equals the stated one (or nothing is stated)."""
        return self.stated is None or self.stated == self.value


def _fr(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _pvd_counts() -> dict[str, int]:
    table = read_table("pvd_communes.csv")
    if table is None:
        return {}
    a, b = table["pvd_2021"].astype(str) == "1", table["pvd_2023"].astype(str) == "1"
    return {
        "pvd_2021": int(a.sum()),
        "pvd_2023": int(b.sum()),
        "pvd_both": int((a & b).sum()),
        "pvd_only_2021": int((a & ~b).sum()),
        "pvd_only_2023": int((~a & b).sum()),
        "pvd_moved": int((table["source_codes"].astype(str) != "").sum()),
    }


def territory_key_figures() -> list[KeyFigure]:
    """Return the key figures of PVD, FRR and France Services (empty parts if tables are missing)."""
    out: list[KeyFigure] = []
    pvd = _pvd_counts()
    if pvd:
        src21 = "ANCT, liste des Petites Villes de Demain"
        src23 = "ANCT, programmes par commune (drapeau PVD)"
        out += [
            KeyFigure(
                "pvd_2021",
                "Communes Petites Villes de Demain (liste de 2021)",
                pvd["pvd_2021"],
                "communes",
                "janvier 2021",
                src21,
                STATED["pvd_2021"],
                "La liste publiée compte 1 607 lignes dont une ligne fictive « Trifouilly-les-Oies » "
                "(code 999999), écartée : 1 606 communes réelles.",
            ),
            KeyFigure(
                "pvd_2023",
                "Communes Petites Villes de Demain (drapeaux 2023)",
                pvd["pvd_2023"],
                "communes",
                "géographie 2023",
                src23,
                STATED["pvd_2023"],
            ),
            KeyFigure(
                "pvd_both",
                "dont présentes dans les deux listes",
                pvd["pvd_both"],
                "communes",
                "2021 et 2023",
                f"{src21} ; {src23}",
                STATED["pvd_both"],
            ),
            KeyFigure(
                "pvd_only_2021",
                "seulement dans la liste de 2021",
                pvd["pvd_only_2021"],
                "communes",
                "janvier 2021",
                src21,
                STATED["pvd_only_2021"],
                "14 à la source en comptant la ligne fictive 999999.",
            ),
            KeyFigure(
                "pvd_only_2023",
                "seulement dans les drapeaux de 2023",
                pvd["pvd_only_2023"],
                "communes",
                "géographie 2023",
                src23,
                STATED["pvd_only_2023"],
            ),
        ]
    frr = read_table("frr_communes.csv")
    if frr is not None:
        classified = frr[frr["frr_class"] != "absent"]
        out += [
            KeyFigure(
                "frr",
                "Communes classées France Ruralités Revitalisation (FRR ou FRR+)",
                len(classified),
                "communes",
                "10 juillet 2025",
                "État, zonage France Ruralités Revitalisation",
                STATED["frr"],
            ),
            KeyFigure(
                "frr_plus",
                "dont FRR+",
                int((classified["frr_class"] == "plus").sum()),
                "communes",
                "10 juillet 2025",
                "État, zonage France Ruralités Revitalisation",
            ),
        ]
    sites = france_services_sites()
    if len(sites):
        codes_at_source = sites["source_code"].nunique() if "source_code" in sites else None
        communes = sites["insee_code"].nunique()
        out += [
            KeyFigure(
                "france_services_sites",
                "Sites France Services",
                len(sites) + FRANCE_SERVICES_OUTSIDE,
                "sites",
                "1er août 2024",
                "ANCT, liste des sites France Services",
                STATED["france_services_sites"],
                f"{_fr(len(sites))} sites placés dans le référentiel ; les "
                f"{FRANCE_SERVICES_OUTSIDE} de Saint-Martin (collectivité d'outre-mer) sont hors "
                "référentiel et signalés par l'import.",
            ),
            KeyFigure(
                "france_services_communes",
                "Communes ayant au moins un site France Services",
                communes,
                "communes",
                "1er août 2024",
                "ANCT, liste des sites France Services",
                STATED["france_services_communes"],
                f"{_fr((codes_at_source or 0) + 1)} codes à la source : les arrondissements de Paris, "
                "Lyon et Marseille comptent ici pour leur commune, les anciennes communes pour la "
                "commune actuelle, et Saint-Martin est hors référentiel.",
            ),
        ]
    return out


def density_distribution() -> pd.DataFrame:
    """Return communes and 2022 population per level of INSEE's 7-level density grid.

    Columns: ``density_7``, ``label``, ``density_3``, ``communes``,
    ``population``, ``share_communes``, ``share_population`` (0-1), plus a
    total row (``density_7`` = 0).
    """
    table = read_table("density_communes.csv")
    columns = ["density_7", "label", "density_3", "communes", "population"]
    if table is None:
        return pd.DataFrame(columns=[*columns, "share_communes", "share_population"])
    table["density_7"] = pd.to_numeric(table["density_7"])
    table["population_2022"] = pd.to_numeric(table["population_2022"], errors="coerce")
    grouped = table.groupby("density_7").agg(
        communes=("insee_code", "size"), population=("population_2022", "sum")
    )
    grouped = grouped.reindex(sorted(DENSITY_7_LABELS), fill_value=0).reset_index()
    grouped["label"] = grouped["density_7"].map(DENSITY_7_LABELS)
    grouped["density_3"] = grouped["density_7"].map(DENSITY_7_TO_3)
    grouped["population"] = grouped["population"].astype("int64")
    total = pd.DataFrame(
        [
            {
                "density_7": 0,
                "label": "Ensemble",
                "density_3": 0,
                "communes": int(grouped["communes"].sum()),
                "population": int(grouped["population"].sum()),
            }
        ]
    )
    out = pd.concat([grouped[columns], total], ignore_index=True)
    out["share_communes"] = out["communes"] / out.loc[out.index[-1], "communes"]
    out["share_population"] = out["population"] / out.loc[out.index[-1], "population"]
    return out


def rural_shares() -> tuple[float, float]:
    """Return the shares (0-1) of communes and of population in rural levels (5-7)."""
    dist = density_distribution()
    if dist.empty:
        return float("nan"), float("nan")
    rural = dist[dist["density_7"].isin(RURAL_DENSITY_LEVELS)]
    return float(rural["share_communes"].sum()), float(rural["share_population"].sum())
