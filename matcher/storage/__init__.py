"""Persistence: engine and sessions (db), ORM models, Alembic migrations, backup, CLI."""
