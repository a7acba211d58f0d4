"""``matcher fund ...``: portfolio optimiser, deal indicators, committee pack, portfolio report.

``matcher fund optimise --candidates FILE.csv --scenario FILE.json [--json]``
needs no database: it reads the candidates and the rules and prints the
chosen deals, each rule's slack, whether it binds and its exact price (one
JSON object with ``--json``). The other commands read the database as a
fund officer (``--as EMAIL``) or, by default, the first active administrator.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from matcher.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``fund`` command group."""
    p = sub.add_parser("fund", help="Fonds ISR : portefeuille, indicateurs, dossiers de comité")
    fsub = p.add_subparsers(dest="fund_command", required=True)
    o = fsub.add_parser("optimise", help="Choisir les dossiers qui maximisent l'impact")
    o.add_argument("--candidates", required=True, help="CSV : deal_id,ticket_eur,impact,...")
    o.add_argument("--scenario", required=True, help="JSON : budget_eur, parts, tickets...")
    o.add_argument("--json", action="store_true", help="un objet JSON sur la sortie standard")
    o.add_argument("--no-prices", action="store_true", help="sans le prix de chaque règle")
    o.set_defaults(func=_cli_optimise)
    i = fsub.add_parser("indicators", help="Indicateurs d'impact d'un dossier")
    i.add_argument("deal_id", type=int)
    i.add_argument("--json", action="store_true")
    i.add_argument("--as", dest="email", help="e-mail du chargé d'investissement")
    i.set_defaults(func=_cli_indicators)
    k = fsub.add_parser("pack", help="Dossier de comité (PDF)")
    k.add_argument("deal_id", type=int)
    k.add_argument("-o", "--output", required=True)
    k.add_argument("--as", dest="email", help="e-mail du chargé d'investissement")
    k.set_defaults(func=_cli_pack)
    r = fsub.add_parser("report", help="Rapport de portefeuille (XLSX ou PDF selon l'extension)")
    r.add_argument("-o", "--output", required=True)
    r.add_argument("--as", dest="email", help="e-mail du chargé d'investissement")
    r.set_defaults(func=_cli_report)


def _cli_optimise(args: argparse.Namespace) -> int:
    from matcher.fund.fmt import fr_eur, fr_number
    from matcher.fund.portfolio import optimise
    from matcher.fund.scenario import load_scenario, read_candidates

    candidates = read_candidates(args.candidates)
    scenario = load_scenario(args.scenario)
    result = optimise(candidates, scenario, prices=not args.no_prices)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    if result.status == "infeasible":
        print(result.lines[0])
        return 0
    chosen = ", ".join(str(i) for i in result.to_json()["chosen"]) or "aucun"
    print(f"Dossiers retenus ({len(result.chosen)}) : {chosen}")
    print(
        f"Montant investi : {fr_eur(result.invested_eur)} ; impact : {fr_number(result.objective, 1)}"
    )
    for rule in result.rules:
        state = "contraint" if rule.binding else "libre"
        print(f"- {rule.label} : {state} ; {rule.explanation}")
    return 0


def _actor(email: str | None):
    """Return the acting fund officer (``--as``) or the first active administrator."""
    from sqlalchemy import select

    from matcher.services._common import actor_of, transaction
    from matcher.storage.db import init_db
    from matcher.storage.models import User

    init_db()
    with transaction(write=False) as s:
        query = select(User).where(User.is_active.is_(True))
        if email:
            query = query.where(
                User.email == email.strip().lower(), User.role.in_(("fund", "admin"))
            )
        else:
            query = query.where(User.role == "admin")
        user = s.scalars(query.order_by(User.id)).first()
        if user is None:
            raise ValidationError(
                "Aucun chargé d'investissement ni administrateur actif"
                + (f" avec l'e-mail « {email} »" if email else "")
                + " : indiquez --as EMAIL ou créez un administrateur (matcher db create-admin)."
            )
        return actor_of(user)


def _cli_indicators(args: argparse.Namespace) -> int:
    from matcher.services.fund import deal_indicators

    result = deal_indicators(_actor(args.email), args.deal_id)
    if args.json:
        out = {k: result[k] for k in ("planned", "actual", "committee", "gap", "flags")}
        out["coefficients_version"] = result["coefficients_version"]
        print(json.dumps(out, ensure_ascii=False, default=str))
        return 0
    print(
        f"Indicateurs du dossier n° {args.deal_id} (coefficients {result['coefficients_version']}) :"
    )
    for row in result["rows"]:
        print(f"- {row['Indicateur']} : {row['Valeur']} {row['Unité']}")
    if result["actual_rows"]:
        print("Réalisé après ouverture :")
        for row in result["actual_rows"]:
            print(f"- {row['Indicateur']} : {row['Valeur']} {row['Unité']}")
    return 0


def _cli_pack(args: argparse.Namespace) -> int:
    from matcher.services.fund import committee_pack

    data = committee_pack(_actor(args.email), args.deal_id)
    Path(args.output).write_bytes(data)
    print(f"Dossier de comité écrit : {args.output} ({len(data) // 1024} Ko).")
    return 0


def _cli_report(args: argparse.Namespace) -> int:
    from matcher.services.reports import portfolio_report_pdf, portfolio_report_xlsx

    actor = _actor(args.email)
    suffix = Path(args.output).suffix.lower()
    if suffix not in (".xlsx", ".pdf"):
        print("Erreur : le rapport s'écrit en .xlsx ou en .pdf.", file=sys.stderr)
        return 2
    data = portfolio_report_pdf(actor) if suffix == ".pdf" else portfolio_report_xlsx(actor)
    Path(args.output).write_bytes(data)
    print(f"Rapport de portefeuille écrit : {args.output} ({len(data) // 1024} Ko).")
    return 0
