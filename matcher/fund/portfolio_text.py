"""French sentences of the portfolio optimiser: what each rule costs, what conflicts."""

from __future__ import annotations

from typing import Any

from matcher.fund.fmt import fr_eur, fr_number, fr_share
from matcher.fund.scenario import RULES, STEPS, Scenario


def rule_phrase(scenario: Scenario, name: str) -> str:
    value = getattr(scenario, name)
    return {
        "budget_eur": f"le budget de {fr_eur(value)}",
        "min_ticket_eur": f"le ticket minimum de {fr_eur(value)}",
        "max_ticket_eur": f"le ticket maximum de {fr_eur(value)}",
        "min_share_outside_metropoles": f"la règle des {fr_share(value, 0)} hors métropoles",
        "min_share_qpv": f"la règle des {fr_share(value, 0)} en QPV",
        "max_share_per_region": f"le plafond de {fr_share(value, 0)} par région",
        "must_include": "l'obligation de retenir les dossiers imposés",
        "must_exclude": "l'exclusion des dossiers écartés",
    }[name]


def price_text(
    scenario: Scenario, name: str, price: float | None, step: float | None, binding: bool | None
) -> str:
    phrase = rule_phrase(scenario, name)
    phrase = phrase[0].upper() + phrase[1:]
    if price is None:
        return f"{phrase} : prix non calculé."
    if not binding:
        return f"{phrase} ne contraint pas le portefeuille (la retirer ne fait gagner aucun point d'impact)."
    text = f"{phrase} coûte {fr_number(price, 1)} points d'impact (gain si la règle est retirée)"
    if step is not None and name in STEPS:
        size = STEPS[name]
        what = (
            fr_eur(abs(size)) if name.endswith("_eur") else f"{fr_number(abs(size) * 100)} points"
        )
        text += f" ; l'assouplir de {what} rapporte {fr_number(step, 1)} points"
    return text + "."


def conflict_text(name: str, conflict: list[str]) -> str:
    if name in conflict:
        return f"« {RULES[name]} » fait partie des règles en conflit."
    return f"« {RULES[name]} » n'est pas en cause."


def summary(result: Any) -> list[str]:
    lines = [
        f"{len(result.chosen)} dossier(s) retenu(s) pour {fr_eur(result.invested_eur)}, "
        f"impact total {fr_number(result.objective, 1)} points."
    ]
    binding = [r for r in result.rules if r.binding]
    if binding:
        lines += [r.explanation for r in binding]
    else:
        lines.append("Aucune règle ne contraint le portefeuille : il est au plus haut possible.")
    return lines
