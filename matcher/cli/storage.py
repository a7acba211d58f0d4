"""``matcher db ...`` commands: upgrade, backup, restore, create-admin."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from matcher.errors import ValidationError


def _url(args: argparse.Namespace) -> str | None:
    return getattr(args, "url", None)


def _upgrade(args: argparse.Namespace) -> int:
    from matcher.storage.db import init_db

    init_db(_url(args))
    print("Base à jour (migrations appliquées).")
    return 0


def _backup(args: argparse.Namespace) -> int:
    from matcher.storage.backup import backup_sqlite

    info = backup_sqlite(args.dest, _url(args))
    print(
        f"Sauvegarde vérifiée : {info.path} ({info.size_bytes} octets, révision {info.revision})."
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    from matcher.storage.backup import restore_sqlite

    if not args.yes:
        answer = input(f"Remplacer la base actuelle par {args.src} ? [o/N] ").strip().lower()
        if answer not in {"o", "oui", "y", "yes"}:
            print("Restauration annulée.")
            return 1
    info = restore_sqlite(args.src, _url(args), keep_copy=not args.no_keep)
    print(f"Base restaurée depuis {args.src} (révision {info.revision}).")
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from matcher.services.accounts import bootstrap_admin
    from matcher.storage.db import init_db

    email = args.email or input("E-mail de l'administrateur : ").strip()
    password = args.password or os.environ.get("MATCHER_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise ValidationError(
                "Mot de passe absent : utilisez --password, MATCHER_ADMIN_PASSWORD ou un terminal."
            )
        password = getpass.getpass("Mot de passe (10 caractères au moins) : ")
        if getpass.getpass("Confirmez le mot de passe : ") != password:
            raise ValidationError("Les deux mots de passe diffèrent.")
    init_db(_url(args))
    if args.url:
        os.environ["DATABASE_URL"] = args.url
    actor = bootstrap_admin(email, password, organisation_name=args.organisation)
    print(f"Administrateur créé : {actor.email} (compte n° {actor.id}).")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``db upgrade|backup|restore|create-admin`` to the main parser."""
    db = subparsers.add_parser("db", help="base de données : migrations, sauvegarde, comptes")
    db.add_argument("--url", help="URL de la base (défaut : DATABASE_URL ou data/matcher.sqlite)")
    sub = db.add_subparsers(dest="db_command", required=True)

    upgrade = sub.add_parser("upgrade", help="appliquer les migrations (alembic upgrade head)")
    upgrade.set_defaults(func=_upgrade)

    backup = sub.add_parser("backup", help="sauvegarde cohérente de la base SQLite, à chaud")
    backup.add_argument(
        "dest", nargs="?", help="fichier ou dossier de destination (défaut : data/backups/)"
    )
    backup.set_defaults(func=_backup)

    restore = sub.add_parser("restore", help="restaurer une sauvegarde SQLite")
    restore.add_argument("src", help="fichier de sauvegarde")
    restore.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    restore.add_argument(
        "--no-keep", action="store_true", help="ne pas garder de copie de la base remplacée"
    )
    restore.set_defaults(func=_restore)

    admin = sub.add_parser("create-admin", help="créer un compte administrateur")
    admin.add_argument("--email")
    admin.add_argument("--password", help="déconseillé (historique du shell) : préférez l'invite")
    admin.add_argument(
        "--organisation", default="Administration", help="organisation (créée si absente)"
    )
    admin.set_defaults(func=_create_admin)
