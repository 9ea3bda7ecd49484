"""The local book on SQLite or PostgreSQL (SQLAlchemy 2, Alembic migrations in ``migrations/``).

Import what you need from the submodules; this package imports nothing so that ``pm.db.urls``
stays free of SQLAlchemy:

- `pm.db.engine`: ``open_database(url, auto_migrate=True) -> Database``, ``upgrade(url)``,
  ``current_revision(url)``, ``head_revision()``, ``make_engine(url)``
- `pm.db.repository`: ``SqlRepository`` (the `Repository` port): one store per concern
- `pm.db.tables`: the tables (SQLAlchemy Core); `pm.db.indexes` adds the partial indexes
- `pm.db.urls`: ``mask_url(url)``, ``normalize_url(url)``
"""
