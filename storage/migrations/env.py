"""Alembic environment: runs migrations on the connection that ``Database.migrate`` passes in."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage._tables  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise SystemExit("Run migrations with `planbot migrate` (it passes the connection).")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
