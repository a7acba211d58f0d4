"""``matcher demo build``: generate the demo data, seed the database, warm the engine."""

from __future__ import annotations

import argparse
import os


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo`` command group."""
    from matcher.demo import SIZES

    p = sub.add_parser("demo", help="Données de démonstration")
    dsub = p.add_subparsers(dest="demo_command", required=True)
    b = dsub.add_parser("build", help="Générer la démo et l'insérer si la base est vide")
    b.add_argument("--size", choices=sorted(SIZES), default=None)
    b.add_argument("--no-db", action="store_true", help="générer les fichiers sans remplir la base")
    b.set_defaults(func=_cli_build)


def _cli_build(args: argparse.Namespace) -> int:
    from matcher.cli.engine import warm
    from matcher.demo import build_demo
    from matcher.services.demo import ensure_demo_database

    size = args.size or os.environ.get("MATCHER_DEMO_SIZE", "full")
    premises, projects = build_demo(size)
    print(f"Démo « {size} » : {len(premises)} locaux, {len(projects)} projets.")
    if not args.no_db:
        seeded = ensure_demo_database(size)
        print("Base remplie avec la démo." if seeded else "Base déjà remplie : rien à faire.")
    warm()
    return 0
