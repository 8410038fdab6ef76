"""Alembic environment for MakePlus: one revision graph, a branch for the core and
one per plugin. Run through ``makeplus-db`` (makeplus_core.scripts.db), which sets
``version_locations`` to the core's folder plus every installed plugin's, and, for
``revision``, ``owned_tables``: the tables of the branch's own models (autogenerate
compares only those)."""
from alembic import context

import makeplus_core.models  # noqa: F401  (every core table, for foreign keys of plugin tables)
from makeplus_core.db import Base
from makeplus_core.migrate import include_object_for

config = context.config
target_metadata = Base.metadata
connection = config.attributes.get("connection")
owned = config.attributes.get("owned_tables")


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True, include_object=include_object_for(connection.dialect.name, owned))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
