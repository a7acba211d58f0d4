"""``matcher engine warm``: compile the scoring engine's kernels into the on-disk cache."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``engine`` command group."""
    p = sub.add_parser("engine", help="Moteur de notation")
    esub = p.add_subparsers(dest="engine_command", required=True)
    w = esub.add_parser("warm", help="Compiler les noyaux une fois (cache sur disque)")
    w.set_defaults(func=lambda args: warm())


def warm() -> int:
    """Compile (or load) every kernel and say how long it took."""
    from matcher.engine import warm_up

    seconds = warm_up()
    print(f"Moteur prêt ({seconds:.1f} s : compilé une fois, puis chargé depuis le cache).")
    return 0
