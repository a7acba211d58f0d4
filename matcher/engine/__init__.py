"""The scoring engine, one package whose modules read as the pipeline.

=================  ==========================================================================
``layout``         snapshot columns, query parameters and named failure codes (no numba)
``snapshot``       typed, read-only columnar snapshot of the premises with its grid cells
``catalogue``      a snapshot that changes while it is searched (base + delta, compaction)
``query``          a project's needs compiled into a :class:`~matcher.engine.query.Query`
``weights``        expert presets per project type, validation, normalisation
``criteria``       every score and constraint written once (scalar, inlined into kernels)
``geometry``       scale factor, target areas and grid cells, compiled
``kernels``        compiled search, rows and batch kernels and top-k heaps
``search``         premises for a project, projects for a premise, explanations
``batch``          every project of a list against the catalogue, within a radius
``allocation``     one-to-one allocation of projects to premises
``explain``        per-criterion frames and French explanation lines
``aggregate``      TOPSIS and rank-stability checks
``reference``      numpy oracle of the same formulas, for the tests only
=================  ==========================================================================

The names below are imported lazily, so that importing one module of the package (for
example :mod:`matcher.engine.criteria` from :mod:`matcher.needs`) loads nothing else.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CRITERIA": "layout",
    "FAILURES": "layout",
    "failure_codes": "layout",
    "failure_reasons": "layout",
    "CRITERION_LABELS": "criteria",
    "NEUTRAL": "criteria",
    "Decay": "criteria",
    "PremiseSnapshot": "snapshot",
    "build_snapshot": "snapshot",
    "build_snapshot_chunks": "snapshot",
    "merge_snapshots": "snapshot",
    "Catalogue": "catalogue",
    "Query": "query",
    "QueryBatch": "query",
    "compile_query": "query",
    "compile_queries": "query",
    "ENGINE_VERSION": "weights",
    "PRESETS": "weights",
    "effective_weights": "weights",
    "validate_weights": "weights",
    "StaticCache": "search",
    "rank_premises": "search",
    "rank_projects": "search",
    "MatchExplanation": "explain",
    "batch_match": "batch",
    "allocate": "allocation",
    "topsis": "aggregate",
    "sensitivity_report": "aggregate",
    "warm_up": "warmup",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'matcher.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"matcher.engine.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
