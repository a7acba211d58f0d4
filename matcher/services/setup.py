"""Getting the database ready for the application (migrations, demo data in demo mode)."""

from __future__ import annotations


def prepare_database(*, demo: bool = False) -> bool:
    """Return True once the database is migrated (and seeded with the demo when ``demo``)."""
    from matcher.storage.db import init_db

    init_db()
    if demo:
        from matcher.services.demo import ensure_demo_database

        ensure_demo_database()
    return True
