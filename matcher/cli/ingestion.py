"""``matcher import ...`` and ``matcher reference ...`` commands.

``matcher import premises FILE --source NAME [--dry-run] [--mapping FILE]``
reads the file (with a progress bar for large files), prints the report
summary, writes the full report as CSV, and hands the valid records to
:func:`matcher.services.imports.import_records` (one transaction, upsert on
source + source id) acting as an administrator. The same for ``projects``;
``tiers-lieux`` validates and writes the records as CSV (no table for them
in the database yet).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from matcher import settings
from matcher.errors import ValidationError

_MODES = {
    "tout-ou-rien": "all_or_nothing",
    "lignes-valides": "valid_only",
    "all_or_nothing": "all_or_nothing",
    "valid_only": "valid_only",
}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``import`` and ``reference`` command groups."""
    imp = sub.add_parser(
        "import", help="Importer un fichier de locaux, de projets ou de tiers-lieux"
    )
    isub = imp.add_subparsers(dest="import_kind", required=True)
    for kind, label in (
        ("premises", "locaux"),
        ("projects", "projets"),
        ("tiers-lieux", "tiers-lieux"),
    ):
        p = isub.add_parser(kind, help=f"Importer des {label}")
        p.add_argument("file", type=Path, help="fichier CSV, XLSX, GeoJSON ou GeoPackage")
        p.add_argument("--source", required=True, help="nom de la source (clé de mise à jour)")
        p.add_argument("--dry-run", action="store_true", help="tout vérifier sans rien écrire")
        p.add_argument("--mapping", type=Path, help="correspondance de colonnes (JSON)")
        p.add_argument(
            "--save-mapping",
            action="store_true",
            help="enregistrer la correspondance pour cette source",
        )
        p.add_argument(
            "--mode",
            choices=sorted(_MODES),
            default="tout-ou-rien",
            help="tout-ou-rien (défaut) ou lignes-valides",
        )
        p.add_argument("--report", type=Path, help="chemin du rapport CSV complet")
        p.add_argument(
            "--as-admin", dest="admin_email", help="e-mail de l'administrateur qui importe"
        )
        p.add_argument(
            "--organisation",
            help="organisation propriétaire des lignes qui n'en indiquent pas (défaut : « Source <nom> »)",
        )
        p.set_defaults(func=_import, kind=kind.replace("-", "_"))
    ref = sub.add_parser("reference", help="Tables de référence dérivées des données ouvertes")
    rsub = ref.add_subparsers(dest="reference_command", required=True)
    b = rsub.add_parser("build", help="Reconstruire matcher/reference/*.csv et PROVENANCE.md")
    b.add_argument(
        "--out", type=Path, default=None, help="dossier de sortie (défaut : matcher/reference)"
    )
    b.add_argument(
        "--only",
        nargs="+",
        metavar="TABLE",
        help="ne reconstruire que ces tables (ex. pvd_communes.csv) ; l'historique des communes "
        "committé sert alors aux codes",
    )
    b.set_defaults(func=_build)
    s = rsub.add_parser(
        "tiers-lieux-share", help="Part des tiers-lieux hors métropoles vs Mission Coworking (46 %)"
    )
    s.add_argument("files", nargs="*", type=Path, help="recensements supplémentaires (même format)")
    s.set_defaults(func=_share)


def _progress_bar(path: Path):
    """Return a progress callback drawing a tqdm bar for files above 5 MB (None otherwise)."""
    if not path.exists() or path.stat().st_size < 5 * 2**20:
        return None, None
    from tqdm import tqdm

    bar = tqdm(
        total=path.stat().st_size,
        unit="o",
        unit_scale=True,
        desc=f"Lecture {path.name}",
        file=sys.stderr,
    )

    def update(done: int, total: int) -> None:
        bar.n = done
        bar.refresh()

    return update, bar


def _admin_actor(email: str | None):
    """Return the acting administrator (the given e-mail, else the first active admin)."""
    from sqlalchemy import select

    from matcher.services._common import actor_of, transaction
    from matcher.storage.models import User

    with transaction(write=False) as s:
        query = select(User).where(User.role == "admin", User.is_active.is_(True)).order_by(User.id)
        if email:
            query = query.where(User.email == email.strip().lower())
        user = s.scalars(query).first()
        if user is None:
            raise ValidationError(
                "Aucun administrateur actif"
                + (f" avec l'e-mail « {email} »" if email else "")
                + " : créez-en un avec « matcher db create-admin »."
            )
        return actor_of(user)


def _services_import():
    try:
        from matcher.services.imports import import_records
    except ModuleNotFoundError:  # pragma: no cover - partial build without services
        return None
    return import_records


def _read(args: argparse.Namespace, mapping, mode: str, progress):
    from matcher.ingestion import records as rec

    reader = {
        "premises": rec.read_premises,
        "projects": rec.read_projects,
        "tiers_lieux": rec.read_tiers_lieux,
    }[args.kind]
    return reader(args.file, source=args.source, mapping=mapping, mode=mode, progress=progress)


def _flag_duplicates(result) -> None:
    """Warn about premises of other sources within 50 m (same kind) already in the database."""
    try:
        from matcher.services.catalogue import premises_frame

        existing = premises_frame()
    except Exception as exc:  # noqa: BLE001 - no database yet is not an import error
        print(f"(Doublons entre sources non vérifiés : base indisponible, {exc})", file=sys.stderr)
        return
    from matcher.ingestion.duplicates import flag_likely_duplicates

    flag_likely_duplicates(result.records, existing, result.report)


def _import(args: argparse.Namespace) -> int:
    from matcher.ingestion.mapping import load_mapping_file, save_mapping

    mode = _MODES[args.mode]
    mapping = load_mapping_file(args.mapping) if args.mapping else None
    if mapping is not None and args.save_mapping:
        print(f"Correspondance enregistrée : {save_mapping(args.source, mapping)}")
    progress, bar = _progress_bar(args.file)
    try:
        result = _read(args, mapping, mode, progress)
    finally:
        if bar is not None:
            bar.close()
    report = result.report
    if args.kind == "premises" and not result.records.empty:
        _flag_duplicates(result)
    report_path = (
        args.report
        or settings.data_dir()
        / "reports"
        / "imports"
        / f"rapport_{args.source}_{args.file.stem}.csv"
    )
    summary_db = None
    import_records = _services_import()
    if (
        args.kind in {"premises", "projects"}
        and import_records is not None
        and not report.file_errors
    ):
        # the service labels its row errors with the index: make it the file's line
        records = result.records.set_index("line", drop=True)
        org_column = "owner_org" if args.kind == "premises" else "holder_org"
        default_org = args.organisation or f"Source {args.source}"
        records[org_column] = records[org_column].where(records[org_column].notna(), default_org)
        summary_db = import_records(
            _admin_actor(args.admin_email),
            args.kind,
            records,
            source=args.source,
            filename=args.file.name,
            mode=mode,
            rejected_count=result.rows_rejected,
            report_path=str(report_path),
            dry_run=args.dry_run,
        )
        if not args.dry_run and summary_db.status == "committed":
            report.rows_imported = summary_db.written
        for err in summary_db.errors:
            line = int(err.row) if str(err.row).isdigit() else 0
            report.error(line, "(base)", "", err.message.split(" : ", 1)[-1])
    elif args.kind == "tiers_lieux" and not args.dry_run and report.importable():
        out = report_path.with_name(f"tiers_lieux_{args.source}.csv")
        result.records.to_csv(out, index=False)
        print(f"Tiers-lieux validés écrits dans {out}")
    report.to_csv(report_path)
    print(report.summary())
    if summary_db is not None:
        print(
            f"Base : {summary_db.status} ({summary_db.inserted} ajout(s), {summary_db.updated} mise(s) à jour"
            + (", simulation sans écriture" if args.dry_run else "")
            + ")."
        )
    print(f"Rapport complet : {report_path}")
    failed = report.file_errors or (report.has_errors and mode == "all_or_nothing")
    return 1 if failed else 0


def _build(args: argparse.Namespace) -> int:
    from matcher.ingestion.reference_tables import TABLES, build_reference_tables

    only = tuple(args.only) if args.only else None
    unknown = sorted(set(only or ()) - set(TABLES))
    if unknown:
        raise ValidationError(
            f"Table(s) inconnue(s) : {', '.join(unknown)} (tables : {', '.join(TABLES)})."
        )
    for name, path in build_reference_tables(args.out, only=only).items():
        print(f"{name:<26} {path.stat().st_size:>8} octets  {path}")
    return 0


def _share(args: argparse.Namespace) -> int:
    from matcher.ingestion.tierslieux_share import compare_with_mission_coworking, format_comparison

    print(format_comparison(compare_with_mission_coworking(extra_files=tuple(args.files))))
    return 0
