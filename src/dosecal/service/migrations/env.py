"""Alembic's environment: run the migrations on the connection dosecal hands over.

dosecal never reads an alembic.ini: the database URL comes from ``--db`` or ``$DOSECAL_DB``,
and :func:`dosecal.service.store.upgrade` opens the connection and passes it in ``attributes``.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
# Batch mode lets later migrations alter tables on SQLite, which cannot ALTER most columns.
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
