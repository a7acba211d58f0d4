"""``matcher batch run``: every project against every premise, tile by tile.

``matcher batch run --premises SRC --projects SRC --out DIR`` where SRC is ``db`` (the
database of ``DATABASE_URL``: premises on offer, active projects) or a path (premises:
a Parquet file or folder; projects: Parquet or CSV). Writes both top-k lists as Parquet
partitioned by zone and tile (:mod:`matcher.scale.output`), with a progress bar; an
interrupted run started again with the same arguments resumes from the last finished
tile. ``--spark`` runs the same tiles on Apache Spark (``--spark-master``, local mode by
default; on a cluster, through ``spark-submit``: see ``docs/scale.md``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from matcher.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``batch`` command group."""
    p = sub.add_parser("batch", help="Appariement par lots (tous les projets × tous les locaux)")
    bsub = p.add_subparsers(dest="batch_command", required=True)
    r = bsub.add_parser(
        "run", help="Calculer les k meilleurs locaux par projet et projets par local"
    )
    r.add_argument("--premises", required=True, help="« db » ou fichier/dossier Parquet des locaux")
    r.add_argument("--projects", required=True, help="« db » ou fichier Parquet/CSV des projets")
    r.add_argument("--out", required=True, type=Path, help="dossier de sortie (Parquet)")
    r.add_argument("--radius-km", type=float, default=30.0, help="rayon maximal (défaut : 30 km)")
    r.add_argument("--k", type=int, default=20, help="locaux gardés par projet (défaut : 20)")
    r.add_argument(
        "--k-premise", type=int, default=None, help="projets gardés par local (défaut : k)"
    )
    r.add_argument("--tile-km", type=float, default=None, help="côté des tuiles (défaut : 4 halos)")
    r.add_argument("--weights", default=None, help="pondérations : JSON ou fichier JSON")
    r.add_argument("--chunk-rows", type=int, default=200_000, help="locaux lus à la fois")
    r.add_argument("--restart", action="store_true", help="effacer un lot existant et recommencer")
    r.add_argument("--keep-work", action="store_true", help="garder les fichiers de travail")
    r.add_argument("--quiet", action="store_true", help="sans barre de progression")
    r.add_argument("--spark", action="store_true", help="calculer sur Apache Spark")
    r.add_argument("--spark-master", default="local[2]", help="maître Spark (défaut : local[2])")
    r.set_defaults(func=_run)


def _weights(text: str | None) -> object:
    if text is None:
        return None
    path = Path(text)
    raw = path.read_text(encoding="utf-8") if path.is_file() else text
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"Pondérations illisibles (JSON attendu) : « {text} », ligne {exc.lineno}, "
            f"colonne {exc.colno}.",
            field="weights",
            value=text,
        ) from None


def _premises(arg: str, chunk_rows: int):
    from matcher.scale.sources import ParquetPremises, StreamedPremises

    if arg != "db":
        return ParquetPremises(arg, chunk_rows=chunk_rows)
    from matcher.services.catalogue import catalogue_version, premises_chunks
    from matcher.services.engine_state import SEARCHED_STATUSES
    from matcher.settings import database_url

    version = catalogue_version()
    return StreamedPremises(
        lambda: premises_chunks(statuses=SEARCHED_STATUSES, chunk_rows=chunk_rows),
        {
            "kind": "database",
            "url": database_url(),
            "catalogue_version": version,
            "chunk_rows": chunk_rows,
        },  # fmt: skip
        version=version,
    )


def _projects(arg: str):
    from matcher.scale.sources import read_projects

    if arg != "db":
        return read_projects(arg)
    from matcher.services.catalogue import projects_frame

    frame = projects_frame()
    active = frame["status"].fillna("active") == "active"
    return read_projects(frame[active].reset_index(drop=True))


def _n(value: int) -> str:
    from matcher.engine.explain import fr_number

    return fr_number(value)


def _run(args: argparse.Namespace) -> int:
    projects, rejected = _projects(args.projects)
    if args.spark and args.premises != "db":
        premises = args.premises  # Spark reads the path itself (local, HDFS, S3...)
    else:
        premises = _premises(args.premises, args.chunk_rows)
    options = dict(radius_km=args.radius_km, k=args.k, k_premise=args.k_premise,
                   weights=_weights(args.weights), tile_km=args.tile_km, rejected=rejected)  # fmt: skip
    for r in rejected[:10]:
        who = f" (projet {r.project_id})" if r.project_id else ""
        print(f"Projet écarté, ligne {r.line}{who} : {r.reason}")
    if len(rejected) > 10:
        print(f"… et {_n(len(rejected) - 10)} autres projets écartés (liste dans _batch.json).")
    if args.spark:
        from matcher.scale.spark import run_spark, spark_session

        spark = spark_session(args.spark_master)
        try:
            summary = run_spark(spark, premises, projects, args.out, restart=args.restart,
                                **options)  # fmt: skip
        finally:
            spark.stop()
    else:
        from matcher.scale.stream import run_batch

        summary = run_batch(premises, projects, args.out, restart=args.restart,
                            keep_work=args.keep_work, progress=not args.quiet, **options)  # fmt: skip
    resumed = f", dont {_n(summary.tiles_skipped)} déjà faites" if summary.tiles_skipped else ""
    print(
        f"Lot terminé : {_n(summary.projects)} projets, {_n(summary.premises_read)} locaux lus, "
        f"{_n(summary.tiles)} tuiles{resumed} ; {_n(summary.pairs_by_project)} paires par "
        f"projet, {_n(summary.pairs_by_premise)} par local ; résultats dans {args.out}."
    )
    if summary.premises_unplaced:
        print(f"{_n(summary.premises_unplaced)} locaux sans position : aucun appariement possible.")
    return 0
