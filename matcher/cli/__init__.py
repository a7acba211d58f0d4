"""Command line: ``python -m matcher <command>`` (or ``matcher <command>``).

The command-line entry points sit above the services (as the pages do), so
that storage, ingestion and the territory never import the service layer.

Each concern registers its own sub-commands through a ``register(subparsers)``
function, so this module stays a thin dispatcher.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from matcher.errors import MatcherError

#: Modules that contribute sub-commands (each has ``register(subparsers)``).
COMMAND_MODULES = (
    "matcher.cli.territory",
    "matcher.cli.demo",
    "matcher.cli.engine",
    "matcher.cli.ingestion",
    "matcher.cli.storage",
    "matcher.cli.fund",
    "matcher.cli.learn",
    "matcher.cli.batch",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="matcher", description="Locaux vacants et projets de tiers-lieux."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # concern not installed in this build
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MatcherError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
