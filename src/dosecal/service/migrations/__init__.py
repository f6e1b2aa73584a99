"""Alembic migrations of the plan store's tables (applied by ``dosecal db upgrade``)."""
