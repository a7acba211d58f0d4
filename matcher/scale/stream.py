"""The batch on one machine: tile by tile, bounded memory, resumable.

:func:`run_batch` works in two passes over an output folder (:mod:`matcher.scale.output`):

1. **route**: the premises are read chunk by chunk; each chunk is parsed once and its
   rows are copied to every tile whose box holds them, one Arrow file per (tile, chunk)
   under ``DIR/_work/tiles/``. Memory: one chunk.
2. **score**: tile after tile, its files are read back, its snapshot assembled and
   scored in both directions (:func:`matcher.scale.score.score_tile`), and its results
   written. Memory: the largest tile's box (about 110 bytes per premise, plus k results
   per premise and per project), whatever the catalogue's size.

``DIR/_work/manifest.json`` records the chunks routed and the tiles finished, and every
file is written atomically: a killed run started again with the same inputs skips what
is done and gives the same output as an uninterrupted run (each tile's result depends on
that tile's rows only). Different inputs or options are refused, unless ``restart``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from matcher.engine.layout import CRITERIA
from matcher.engine.weights import ENGINE_VERSION, PRESETS, validate_weights
from matcher.errors import ValidationError
from matcher.needs import ProjectNeeds
from matcher.scale import blocks
from matcher.scale.output import (
    BATCH_FILE,
    partition_dir,
    remove_outputs,
    write_json_atomic,
    write_parquet_atomic,
)
from matcher.scale.score import BatchPlan, plan_batch, score_tile
from matcher.scale.sources import PremiseSource, Rejected
from matcher.scale.tiles import tile_label, tile_zone

__all__ = ["BatchSummary", "batch_metadata", "run_batch"]

MANIFEST_VERSION = 1
#: Called after each step of a run: ``(kind, name)``.
Step = Callable[[str, str], None]


@dataclass
class BatchSummary:
    """What a batch did: counts, timings and where its results are."""

    out: str
    projects: int
    projects_rejected: int
    premises_read: int = 0
    premises_unplaced: int = 0
    tiles: int = 0
    tiles_skipped: int = 0  # finished by an earlier, interrupted run
    pairs_by_project: int = 0
    pairs_by_premise: int = 0
    route_s: float = 0.0
    score_s: float = 0.0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _weights_info(weights: object) -> dict[str, Any]:
    """Return the weights of a batch: each project type's preset, and the user's override."""
    presets = {k: dict(v) for k, v in PRESETS.items()}
    if weights is None:
        return {"mode": "presets", "presets": presets}
    validate_weights(weights)  # raises a French ValidationError on a bad weighting
    if isinstance(weights, dict):
        override: object = {str(c): float(v) for c, v in weights.items()}
    else:
        override = dict(zip(CRITERIA, (float(v) for v in weights), strict=True))
    return {"mode": "custom", "override": override, "presets": presets}


def batch_metadata(plan: BatchPlan, weights: object, catalogue_version: object) -> dict[str, Any]:
    """Return the metadata every output of a batch carries (engine, weights, catalogue)."""
    return {
        "format": "matcher-batch/1",
        "engine_version": ENGINE_VERSION,
        "weights": _weights_info(weights),
        "catalogue_version": catalogue_version,
        "radius_km": plan.radius_km,
        "k": plan.k,
        "k_premise": plan.k_premise,
        "tile_m": plan.grid.tile_m,
        "halo_m": plan.grid.halo_m,
        "projects": len(plan.queries),
    }


def _fingerprint(meta: dict[str, Any], source: PremiseSource, plan: BatchPlan) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(meta, sort_keys=True, default=str).encode())
    digest.update(json.dumps(source.describe(), sort_keys=True, default=str).encode())
    for q, pid in zip(plan.queries, plan.project_ids, strict=True):
        digest.update(str(pid).encode())
        digest.update(q.params.tobytes())
        digest.update(q.weights.tobytes())
        digest.update(q.area.tobytes())
    return digest.hexdigest()


class _Manifest:
    """The progress of a run, rewritten atomically after each chunk and each tile."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.state: dict[str, Any] = {
            "version": MANIFEST_VERSION,
            "fingerprint": fingerprint,
            "chunks_done": 0,
            "routed": False,
            "premises_read": 0,
            "premises_unplaced": 0,
            "tiles_done": {},
        }

    def load(self) -> bool:
        """Return True when a manifest of the same run was found (and load it)."""
        if not self.path.is_file():
            return False
        state = json.loads(self.path.read_text())
        if state.get("fingerprint") != self.state["fingerprint"]:
            raise ValidationError(
                f"Le dossier « {self.path.parent.parent} » contient un autre lot en cours "
                "(données ou paramètres différents) : choisissez un autre dossier ou "
                "relancez avec --restart.",
                field="out",
                value=str(self.path.parent.parent),
            )
        self.state = state
        return True

    def save(self) -> None:
        write_json_atomic(self.path, self.state)


def _write_ipc(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with ipc.new_file(str(tmp), table.schema) as writer:
        writer.write_table(table)
    os.replace(tmp, path)


def _read_ipc(files: Sequence[Path]) -> pa.Table:
    tables = []
    for f in files:
        with ipc.open_file(str(f)) as reader:
            tables.append(reader.read_all())
    return pa.concat_tables(tables, promote_options="permissive")


def _route(source: PremiseSource, plan: BatchPlan, work: Path, manifest: _Manifest,
           progress: bool, on_step: Step | None) -> None:  # fmt: skip
    """Copy each chunk's rows to the tiles whose box holds them (resumes after a kill)."""
    from tqdm import tqdm

    wanted = np.array(plan.tiles, dtype=np.int64)
    done = int(manifest.state["chunks_done"])
    bar = tqdm(desc="Lecture des locaux", unit=" locaux", disable=not progress, leave=False)
    for c, frame in enumerate(source.chunks()):
        if c < done:  # routed by an earlier run: same chunk, same files
            continue
        block = blocks.parse(frame)
        placed = (block.zone >= 0) & np.isfinite(block.xy).all(axis=1)
        index, keys = plan.grid.box_members(block.zone, block.xy[:, 0], block.xy[:, 1])
        keep = np.isin(keys, wanted)
        index, keys = index[keep], keys[keep]
        order = np.argsort(keys, kind="stable")
        index, keys = index[order], keys[order]
        cuts = np.flatnonzero(np.diff(keys)) + 1
        for part in np.split(np.arange(len(keys)), cuts):
            if not len(part):
                continue
            key = int(keys[part[0]])
            table = blocks.to_arrow(blocks.take(block, index[part]))
            _write_ipc(table, work / "tiles" / tile_label(key) / f"c{c:06d}.arrow")
        manifest.state["chunks_done"] = c + 1
        manifest.state["premises_read"] += len(frame)
        manifest.state["premises_unplaced"] += int((~placed).sum())
        manifest.save()
        bar.update(len(frame))
        if on_step is not None:
            on_step("chunk", str(c))
    bar.close()
    manifest.state["routed"] = True
    manifest.save()


def run_batch(
    source: PremiseSource,
    projects: Sequence[ProjectNeeds],
    out: str | os.PathLike,
    *,
    radius_km: float = 30.0,
    k: int = 20,
    k_premise: int | None = None,
    weights: object = None,
    tile_km: float | None = None,
    rejected: Sequence[Rejected] = (),
    restart: bool = False,
    keep_work: bool = False,
    progress: bool = True,
    on_step: Step | None = None,
) -> BatchSummary:
    """Return the summary of a batch run (or resumed) into folder ``out``.

    Every project against every premise within ``min(radius_km, project radius)``: the
    ``k`` best premises of each project and the ``k_premise`` (default ``k``) best
    projects of each premise, written as Parquet partitioned by zone and tile. Rejected
    project rows (``rejected``, from :func:`matcher.scale.sources.read_projects`) are
    listed in the metadata. ``on_step(kind, name)`` is called after each chunk routed
    (``"chunk"``, its number) and each tile written (``"tile"``, its label).
    """
    out = Path(out)
    plan = plan_batch(projects, radius_km, k, k_premise, weights, tile_km)
    meta = batch_metadata(plan, weights, source.catalogue_version)
    fingerprint = _fingerprint(meta, source, plan)
    work = out / "_work"
    if restart:
        remove_outputs(out)
    summary = BatchSummary(str(out), len(projects), len(rejected),
                           rejected=[asdict(r) for r in rejected])  # fmt: skip
    finished = out / BATCH_FILE
    if finished.is_file():
        previous = json.loads(finished.read_text())
        if previous.get("fingerprint") == fingerprint and previous.get("complete"):
            summary.__dict__.update(previous.get("summary", {}))
            summary.tiles_skipped = summary.tiles
            return summary
        raise ValidationError(
            f"Le dossier « {out} » contient déjà un autre lot : choisissez un autre dossier "
            "ou relancez avec --restart.",
            field="out",
            value=str(out),
        )
    manifest = _Manifest(work / "manifest.json", fingerprint)
    if not manifest.load() and any(out.glob("by_*")):
        raise ValidationError(
            f"Le dossier « {out} » contient des résultats d'un lot inconnu : choisissez un "
            "autre dossier ou relancez avec --restart.",
            field="out",
            value=str(out),
        )
    for stale in out.rglob(".*.tmp-*"):  # half-written files of a killed run
        stale.unlink(missing_ok=True)
    t0 = time.perf_counter()
    if not manifest.state["routed"]:
        _route(source, plan, work, manifest, progress, on_step)
    summary.route_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    _score_tiles(plan, meta, out, work, manifest, summary, progress, on_step)
    summary.score_s = time.perf_counter() - t1
    summary.premises_read = int(manifest.state["premises_read"])
    summary.premises_unplaced = int(manifest.state["premises_unplaced"])
    summary.tiles = len(plan.tiles)
    counts = manifest.state["tiles_done"].values()
    summary.pairs_by_project = sum(c[0] for c in counts)
    summary.pairs_by_premise = sum(c[1] for c in counts)
    payload = {**meta, "fingerprint": fingerprint, "complete": True,
               "summary": asdict(summary), "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}  # fmt: skip
    write_json_atomic(finished, payload)
    if not keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return summary


def _score_tiles(plan: BatchPlan, meta: dict[str, Any], out: Path, work: Path,
                 manifest: _Manifest, summary: BatchSummary, progress: bool,
                 on_step: Step | None) -> None:  # fmt: skip
    from tqdm import tqdm

    done: dict[str, list[int]] = manifest.state["tiles_done"]
    summary.tiles_skipped = len(done)
    bar = tqdm(total=len(plan.tiles), initial=len(done), desc="Tuiles", unit=" tuile",
               disable=not progress)  # fmt: skip
    for key in plan.tiles:
        label = tile_label(key)
        if label in done:
            continue
        files = sorted((work / "tiles" / label).glob("c*.arrow"))
        n_project = n_premise = 0
        if files:
            snapshot = blocks.assemble(blocks.from_arrow(_read_ipc(files)))
            by_project, by_premise = score_tile(plan, key, snapshot)
            zone = tile_zone(key)
            for direction, table in (("project", by_project), ("premise", by_premise)):
                if table.num_rows:
                    path = partition_dir(out, direction, zone, label) / "part-0.parquet"
                    write_parquet_atomic(table, path, {**meta, "direction": direction,
                                                       "tile": label})  # fmt: skip
            n_project, n_premise = by_project.num_rows, by_premise.num_rows
        done[label] = [n_project, n_premise]
        manifest.save()
        bar.update(1)
        if on_step is not None:
            on_step("tile", label)
    bar.close()
