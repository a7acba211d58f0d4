"""The territorial reference tables: commune history, PVD, FRR, density grid, France Services.

Each function reads its national source(s) through the adapters (same
validation and report as a user import), resolves old codes through the
commune history, and returns a small, sorted table for
``matcher/reference/``. The reports are kept in a :class:`BuildLog` so that
``PROVENANCE.md`` lists, per source, the codes replaced by a current one and
the rows that could not be used.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from matcher.ingestion.adapters import ADAPTERS
from matcher.ingestion.adapters.territory_sources import read_ban_former_communes
from matcher.ingestion.locate import MOVED_REASON, MOVED_REASONS, SPLIT_REASON, TerritoryLike
from matcher.ingestion.report import ValidationReport
from matcher.territory.history_build import build_history_table


@dataclass
class SourceCounts:
    """What the build did with one source file (for PROVENANCE.md and the key figures)."""

    source: str
    rows_read: int
    rows_kept: int
    codes_replaced: int
    splits: int
    rejected: int
    rejected_values: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class BuildLog:
    """Reports of the sources read while building the tables, by source name."""

    reports: dict[str, ValidationReport] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, report: ValidationReport, kept: int) -> None:
        """Record the report of one source and how many of its rows were kept."""
        self.reports[name] = report
        self.kept[name] = kept

    def counts(self) -> list[SourceCounts]:
        """Return per source: rows read, kept, codes replaced, splits and rejected rows."""
        moved = (MOVED_REASON, *MOVED_REASONS.values())
        out = []
        for name, rep in self.reports.items():
            replaced = sum(1 for i in rep.warnings if i.reason.startswith(moved))
            splits = sum(1 for i in rep.issues if i.reason.startswith(SPLIT_REASON))
            lines = sorted({i.line for i in rep.errors})
            values = sorted({i.value for i in rep.errors if i.value})
            reasons = Counter(_short_reason(i.reason) for i in rep.errors)
            out.append(
                SourceCounts(
                    name,
                    rep.rows_read,
                    self.kept.get(name, 0),
                    replaced,
                    splits,
                    len(lines),
                    values,
                    [f"{r} ({n})" for r, n in sorted(reasons.items())],
                )
            )
        return out


def _short_reason(reason: str) -> str:
    """Return the gist of a report reason (no parenthesis, up to " : " or the first sentence)."""
    text = re.sub(r"\s*\([^)]*\)", "", reason)
    return re.split(r" : |\. ", text)[0].rstrip(".")


def read_records(name: str, t: TerritoryLike | None, log: BuildLog | None) -> pd.DataFrame:
    """Return the valid records of a source (its report kept in ``log``)."""
    result = ADAPTERS[name].read(territory=t, mode="valid_only")
    if log is not None:
        log.add(name, result.report, len(result.records))
    return result.records


def commune_history_table(
    territory: TerritoryLike | None = None, log: BuildLog | None = None
) -> pd.DataFrame:
    """Return the commune history: every old code with its current commune(s) and the event."""
    events = pd.concat(
        [read_records("commune_fusions", None, log), read_records("commune_scissions", None, log)],
        ignore_index=True,
    )
    ban, report = read_ban_former_communes()
    if log is not None:
        log.add("ban_communes_precedentes", report, len(ban))
    return build_history_table(events, ban, territory.aliases, territory.communes)


def _joined(values: pd.Series) -> str:
    return "|".join(sorted({v for v in values if v}))


def pvd_table(territory: TerritoryLike | None = None, log: BuildLog | None = None) -> pd.DataFrame:
    """Return the communes in either PVD list, and those a list says nothing certain about.

    ``pvd_2021`` / ``pvd_2023``: 1 in the list, 0 not in it, empty where the
    list says nothing certain (the other parts of a listed commune split
    since, or a commune the 2023 table does not cover). A commune absent
    from this table is in neither list.
    """
    first = read_records("pvd_2021", territory, log)
    second = read_records("anct_programmes", territory, log)
    index = territory.communes.index
    flags = pd.DataFrame(index=index)
    flags["pvd_2021"] = "0"
    flags["pvd_2023"] = "0"
    listed = first[first["insee_code"] != ""]
    flags.loc[listed["insee_code"].unique(), "pvd_2021"] = "1"
    flagged23 = second[second["pvd"] & (second["insee_code"] != "")]
    flags.loc[flagged23["insee_code"].unique(), "pvd_2023"] = "1"
    # the 2023 table lists every commune of its time: one it does not reach is unknown
    covered = set(second["insee_code"])
    for frame, col in ((listed, "pvd_2021"), (flagged23, "pvd_2023")):
        for parts in frame["split_parts"]:
            for code in filter(None, parts.split("|")):
                if flags.loc[code, col] != "1":
                    flags.loc[code, col] = ""
                covered.add(code)
    unflagged_splits = second[~second["pvd"]]["split_parts"]
    for parts in unflagged_splits:
        covered.update(filter(None, parts.split("|")))
    silent = ~index.isin(list(covered))
    flags.loc[silent & (flags["pvd_2023"] != "1"), "pvd_2023"] = ""
    ids21 = listed.groupby("insee_code")["pvd_id"].agg(_joined)
    ids23 = flagged23.groupby("insee_code")["pvd_id"].agg(_joined)
    moved = pd.concat(
        [
            listed.loc[
                listed["source_code"] != listed["insee_code"], ["insee_code", "source_code"]
            ],
            flagged23.loc[
                flagged23["source_code"] != flagged23["insee_code"], ["insee_code", "source_code"]
            ],
        ]
    )
    source_codes = moved.groupby("insee_code")["source_code"].agg(_joined)
    out = flags[(flags["pvd_2021"] != "0") | (flags["pvd_2023"] != "0")].copy()
    out["pvd_2021_ids"] = ids21.reindex(out.index).fillna("")
    out["pvd_2023_id"] = ids23.reindex(out.index).fillna("")
    out["source_codes"] = source_codes.reindex(out.index).fillna("")
    return out.rename_axis("insee_code").reset_index()


#: Order used when old communes of different FRR classes now form one commune.
_FRR_RANK = ("plus", "socle", "beneficiaire", "partiel", "beneficiaire_partiel", "non_classee")


def frr_table(territory: TerritoryLike | None = None, log: BuildLog | None = None) -> pd.DataFrame:
    """Return the communes classified FRR / FRR+ (July 2025) and those the list does not name.

    ``frr_class``: socle, plus, beneficiaire, partiel, beneficiaire_partiel,
    or ``absent`` (the list is silent: unknown). A current commune not in
    this table is "Non classée".
    """
    rec = read_records("frr_2025", territory, log)
    rec = rec[rec["insee_code"] != ""]
    classes = rec.groupby("insee_code")["frr_class"].agg(lambda s: set(s))

    def pick(found: set[str]) -> str:
        if len(found) == 1:
            return next(iter(found))
        # old communes of different classes in one commune: classified in part
        return (
            "partiel"
            if found & {"socle", "plus", "beneficiaire"}
            else min(found, key=_FRR_RANK.index)
        )

    cls = classes.map(pick)
    cls = cls.reindex(territory.communes.index).fillna("absent")
    out = cls[cls != "non_classee"].rename("frr_class")
    return out.rename_axis("insee_code").reset_index()


def density_table(
    territory: TerritoryLike | None = None, log: BuildLog | None = None
) -> pd.DataFrame:
    """Return INSEE's 7-level density class of each commune and its 2022 population.

    The 3 levels follow from the 7 (1; 2-4; 5-7). ``population_2022`` is the
    municipal population the grid file gives (INSEE's own weights for its
    distribution of the population over the levels); old communes of one
    current commune are summed.
    """
    rec = read_records("grille_densite", territory, log)
    rec = rec[(rec["insee_code"] != "") & rec["density_7"].notna()]
    pop = rec.groupby("insee_code")["population"].sum(min_count=1)
    out = rec[["insee_code", "density_7"]].drop_duplicates("insee_code").set_index("insee_code")
    out["density_7"] = out["density_7"].astype(int)
    out["population_2022"] = pop.reindex(out.index).astype("Int64")
    return out.sort_index().reset_index()


def france_services_table(
    territory: TerritoryLike | None = None, log: BuildLog | None = None
) -> pd.DataFrame:
    """Return the France Services sites: id, name, insee_code, lon, lat, format, source_code.

    ``source_code`` is the code the list gives (an arrondissement, a former
    commune), kept so the count of communes at the source can be explained.
    """
    rec = read_records("france_services", territory, log)
    out = rec[["id", "name", "insee_code", "lon", "lat", "format", "source_code"]].copy()
    out["_n"] = pd.to_numeric(out["id"], errors="coerce")
    return out.sort_values(["_n", "id"]).drop(columns="_n").reset_index(drop=True)
