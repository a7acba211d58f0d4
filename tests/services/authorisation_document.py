"""The document of the authorisation matrix: docs/authorisation.md, written from its rows.

::

    .venv/bin/python -m tests.services.authorisation_matrix > docs/authorisation.md
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.services.authorisation_matrix import (
    EXEMPT,
    EXEMPT_MODULES,
    KIND_LABELS,
    PROFILE_LABELS,
    PROFILES,
    STATE_LABELS,
    Row,
    applies,
    rows,
    service_functions,
)


def summary(fn: Callable) -> str:
    """Return the first line of a function's docstring."""
    return (inspect.getdoc(fn) or "").splitlines()[0] if inspect.getdoc(fn) else ""


# --------------------------------------------------------------------------- the document


@dataclass
class Document:
    """What the matrix document shows: rows grouped by module, with exemptions."""

    known_holes: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def render(self) -> str:
        functions = service_functions()
        lines = [
            "# Droits d'accès : qui peut faire quoi",
            "",
            "Ce tableau est **généré** à partir des services (`matcher.services.*`) et de la",
            "spécification des droits de `tests/services/authorisation_matrix.py` ; ne le",
            "modifiez pas à la main :",
            "",
            "```bash",
            ".venv/bin/python -m tests.services.authorisation_matrix > docs/authorisation.md",
            "```",
            "",
            "Chaque fonction publique des services qui agit pour quelqu'un a au moins une",
            "ligne ; un test échoue si une nouvelle fonction n'y figure pas, et un autre",
            "si ce document n'est plus à jour. `tests/services/test_authorisation_matrix.py`",
            "essaie **chaque case** sur une copie neuve d'une base qui contient un objet dans",
            "chaque état : ✓ l'appel réussit (pour une liste : l'objet y figure), ✗ il est",
            "refusé (« introuvable » ou « action refusée », sans aucune écriture ; pour une",
            "liste : l'objet n'y figure pas), — la case n'existe pas (un porteur ne possède",
            "pas de local). ⚠ marque une case où le code ne respecte pas encore la règle",
            "(le test l'attend en échec et dit qui la corrige).",
            "",
            "Colonnes : « la sienne / le sien » = l'organisation à qui appartient l'objet",
            "(la collectivité du local, le porteur du projet, l'organisation du fonds qui",
            "suit le dossier) ; « autre » = une autre organisation du même rôle.",
            "",
        ]
        header = "| état | " + " | ".join(PROFILE_LABELS[p.key] for p in PROFILES) + " |"
        rule = "|---|" + "---|" * len(PROFILES)
        by_module: dict[str, list[Row]] = {}
        for row in rows():
            by_module.setdefault(row.operation.split(".")[0], []).append(row)
        for module, module_rows in by_module.items():
            lines += [f"## `{module}`", ""]
            for row in module_rows:
                fn = functions.get(row.operation)
                lines += [
                    f"### `{row.name}`",
                    "",
                    f"*{summary(fn)}*" if fn else "(fonction absente)",
                    "",
                    f"Règle : {row.says}. États : ceux du {KIND_LABELS[row.kind]}.",
                    "",
                    header,
                    rule,
                ]
                for state in row.state_list():
                    cells = []
                    for profile in PROFILES:
                        if not applies(row.kind, profile):
                            cells.append("—")
                            continue
                        mark = "✓" if row.expected(profile, state) else "✗"
                        if (row.name, profile.key, state) in self.known_holes:
                            mark += " ⚠"
                        cells.append(mark)
                    lines.append(f"| {STATE_LABELS[state]} | " + " | ".join(cells) + " |")
                lines.append("")
        if self.known_holes:
            lines += ["## Cases que le code ne respecte pas encore", ""]
            by_reason: dict[str, list[str]] = {}
            for (name, profile, state), why in sorted(self.known_holes.items()):
                public = re.sub(r" ; owner: [^)]*", "", why)  # who fixes it stays in the test
                by_reason.setdefault(public, []).append(
                    f"`{name}` ({PROFILE_LABELS[profile]}, {STATE_LABELS[state]})"
                )
            for why, cells in by_reason.items():
                lines.append(f"- {why} : {', '.join(cells)}.")
            lines.append("")
        lines += [
            "## Fonctions publiques hors tableau",
            "",
            "Elles n'agissent pour personne, ou leur preuve est un jeton :",
            "",
        ]
        lines += [f"- `{name}` : {why}." for name, why in sorted(EXEMPT.items())]
        lines += [f"- module `{name}` : {why}." for name, why in sorted(EXEMPT_MODULES.items())]
        cells = sum(
            1
            for row in rows()
            for state in row.state_list()
            for profile in PROFILES
            if applies(row.kind, profile)
        )
        lines += [
            "",
            f"En tout : {len(rows())} lignes pour {len({r.operation for r in rows()})} "
            f"opérations, {cells} cases essayées.",
            "",
        ]
        return "\n".join(lines)


def document() -> str:
    """Return docs/authorisation.md as it must be."""
    from tests.services.authorisation_probes import KNOWN_HOLES

    return Document(KNOWN_HOLES).render()
