"""The service around the library: the plan store, its accounts and migrations, CalDAV publishing.

:mod:`~dosecal.service.store` keeps plan files, definition snapshots, versions, history and feed
token hashes (SQLAlchemy, Alembic: :mod:`dosecal.service.migrations`);
:mod:`~dosecal.service.accounts` the clinic's users and sessions; :mod:`~dosecal.service.publish`
writes a plan to a CalDAV calendar. It adds no scheduling logic: a stored plan is expanded and
rendered by the same functions as ``dosecal generate``.
"""
