"""The migrations build the schema from empty, and it matches the models exactly."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal import create_app
from portal.extensions import db
from portal.search_index.models import include_object
from tests.conftest import base_config


def test_upgrade_from_empty_matches_the_models(app):
    # the app fixture's database was built by `upgrade()` from empty (see conftest._seed)
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object})
            diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_downgrade_to_empty_and_upgrade_again(backend, tmp_path):
    url = backend.new_database(tmp_path)
    app = create_app(base_config(url, tmp_path))
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "user" in inspect(db.engine).get_table_names()
        db.engine.dispose()
    backend.drop(url)
