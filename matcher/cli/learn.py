"""``matcher learn ...``: train, evaluate and inspect the preference model; purge old events.

* ``matcher learn train [--simulate N] --out DIR``: learn from the recorded decisions
  (as an administrator), or from ``N`` sessions of simulated users acting on the demo's
  result lists; writes ``model.skops`` and ``model_card.json`` in ``DIR``;
* ``matcher learn evaluate [--simulate N]``: the same evaluation, printed, nothing saved;
* ``matcher learn card [--model DIR]``: checks and prints a saved model's card;
* ``matcher learn purge [--days N]``: deletes decision events older than the retention.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from matcher.engine.explain import fr_number


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``learn`` command group."""
    p = sub.add_parser("learn", help="Poids appris des décisions des utilisateurs")
    lsub = p.add_subparsers(dest="learn_command", required=True)

    def common(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument(
            "--simulate",
            type=int,
            metavar="N",
            help="N sessions d'utilisateurs simulés au lieu des décisions enregistrées",
        )
        cmd.add_argument(
            "--lists",
            choices=("demo", "synthetic"),
            default="demo",
            help="listes montrées aux utilisateurs simulés : celles de la démo (défaut) "
            "ou des listes synthétiques (rapide)",
        )
        cmd.add_argument("--no-signal", action="store_true", help="choix simulés au hasard")
        cmd.add_argument("--seed", type=int, default=0, help="graine (défaut 0)")
        cmd.add_argument("--no-lightgbm", action="store_true", help="sans LightGBM")
        cmd.add_argument("--boot", type=int, default=1000, help="tirages du bootstrap")
        cmd.add_argument(
            "--as-admin", dest="admin_email", help="administrateur (décisions réelles)"
        )

    train = lsub.add_parser("train", help="apprendre et enregistrer le modèle et sa fiche")
    common(train)
    train.add_argument("--out", type=Path, required=True, help="dossier du modèle")
    train.set_defaults(func=_train)

    evaluate = lsub.add_parser("evaluate", help="évaluer sans rien enregistrer")
    common(evaluate)
    evaluate.set_defaults(func=_evaluate)

    card = lsub.add_parser("card", help="vérifier et afficher la fiche d'un modèle")
    card.add_argument("--model", type=Path, help="dossier du modèle (défaut : celui de l'app)")
    card.add_argument("--json", action="store_true", help="la fiche complète en JSON")
    card.set_defaults(func=_card)

    purge = lsub.add_parser("purge", help="supprimer les décisions plus anciennes que la durée")
    purge.add_argument("--days", type=int, help="durée de conservation (défaut : la configurée)")
    purge.add_argument("--as-admin", dest="admin_email", help="administrateur qui purge")
    purge.set_defaults(func=_purge)


def _simulated(args: argparse.Namespace):
    """Return (trained model, simulation facts) of simulated users."""
    import numpy as np
    from scipy.stats import spearmanr

    from matcher.learning.simulator import (
        HiddenPreference,
        demo_lists,
        simulate,
        synthetic_lists,
    )
    from matcher.learning.train import train

    lists = demo_lists() if args.lists == "demo" else synthetic_lists(seed=args.seed)
    preference = HiddenPreference(signal=not args.no_signal)
    events = simulate(lists, preference, n_sessions=args.simulate, seed=args.seed)
    model = train(events, use_lightgbm=not args.no_lightgbm, n_boot=args.boot, seed=args.seed)
    facts: dict[str, Any] = {
        "lists": args.lists,
        "n_sessions": args.simulate,
        "n_projects_shown": int(len(lists.lists)),
        "hidden_weights": preference.weights,
        "position_bias": preference.position_bias,
        "noise": preference.noise,
        "signal": preference.signal,
        "seed": args.seed,
    }
    if model.baseline is not None:
        ok = model.baseline.identified_
        facts["spearman_hidden"] = float(
            spearmanr(model.baseline.weights_[ok], preference.vector()[ok]).statistic
        )
        facts["criteria_identified"] = int(np.sum(ok))
    return model, facts


def _from_decisions(args: argparse.Namespace):
    from matcher.cli.ingestion import _admin_actor
    from matcher.services.learning import evaluate_decisions

    actor = _admin_actor(args.admin_email)
    return evaluate_decisions(
        actor, use_lightgbm=not args.no_lightgbm, n_boot=args.boot, seed=args.seed
    )


def _print_summary(card: dict[str, Any]) -> None:
    def num(x: Any) -> str:
        return "—" if x is None else fr_number(float(x), 3)

    ci = card.get("ndcg_gain_ci") or [None, None]
    print(f"Projets : {card.get('n_projects')}, listes : {card.get('n_lists')}, "
          f"décisions : {card.get('n_decisions')}")  # fmt: skip
    print(f"NDCG@10 appris : {num(card.get('ndcg_at_10_learned'))}, experts : "
          f"{num(card.get('ndcg_at_10_expert'))}, gain : {num(card.get('ndcg_gain'))} "
          f"[{num(ci[0])} ; {num(ci[1])}]")  # fmt: skip
    outside = card.get("top10_outside_metropoles") or {}
    print(f"Part du top 10 hors métropoles : {num(outside.get('before'))} avant, "
          f"{num(outside.get('after'))} après")  # fmt: skip
    weights = card.get("learned_weights")
    if weights:
        print("Poids appris : " + ", ".join(f"{c} {fr_number(v, 2)}" for c, v in weights.items()))
    sim = card.get("simulation") or {}
    if "spearman_hidden" in sim:
        print(f"Corrélation de Spearman avec les poids cachés : {num(sim['spearman_hidden'])}")
    print(card.get("decision") or "")
    for problem in (card.get("problems") or [])[:10]:
        print(f"  - {problem}")


def _train(args: argparse.Namespace) -> int:
    from matcher.learning.artefacts import save_model

    if args.simulate is not None:
        model, facts = _simulated(args)
        extra = {"source": "simulation", "simulation": facts}
    else:
        model = _from_decisions(args)
        extra = {"source": "decisions"}
    path = save_model(model, args.out, extra)
    card = json.loads(path.read_text(encoding="utf-8"))
    _print_summary(card)
    print(f"Modèle écrit dans {args.out} (model.skops, model_card.json).")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from matcher.learning.artefacts import build_card

    if args.simulate is not None:
        model, facts = _simulated(args)
        card = build_card(model, {"simulation": facts})
    else:
        card = build_card(_from_decisions(args))
    _print_summary(card)
    return 0


def _card(args: argparse.Namespace) -> int:
    from matcher.learning.artefacts import load_model
    from matcher.services.learning import model_dir

    folder = args.model or model_dir()
    model = load_model(folder)  # refuses a mismatched, unknown or tampered model
    if args.json:
        print(json.dumps(model.card, ensure_ascii=False, indent=2))
        return 0
    print(f"Modèle vérifié : {folder} ({model.card.get('model')}, moteur "
          f"{model.card.get('engine_version')}, entraîné le "
          f"{str(model.card.get('trained_at'))[:10]})")  # fmt: skip
    _print_summary(model.card)
    return 0


def _purge(args: argparse.Namespace) -> int:
    from matcher.cli.ingestion import _admin_actor
    from matcher.services.decisions import purge_decisions

    summary = purge_decisions(_admin_actor(args.admin_email), days=args.days)
    print(f"Décisions antérieures au {summary['cutoff'][:10]} supprimées : "
          f"{summary['lists']} listes, {summary['items']} locaux affichés, "
          f"{summary['actions']} actions.")  # fmt: skip
    return 0
