"""The Pinnwand migration (0002) creates exactly what the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


def test_board_models_match_the_migrated_schema(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    # Only the Pinnwand's tables are this feature's business (other features test their own).
    assert [change for change in diff if "board_" in repr(change)] == []
