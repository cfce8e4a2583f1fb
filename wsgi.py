"""WSGI entry point: gunicorn wsgi:app"""
import gc

from portal import create_app

# A web worker serves pages; the schema commands (Alembic) stay with `flask --app portal db …`.
app = create_app({"SCHEMA_COMMANDS": False})
# What start-up built (modules, the app, SQLAlchemy's mappers) lives as long as the worker: keep it
# out of the garbage collector's full passes, which otherwise walk it all and stall a request for
# 85–120 ms every few hundred requests at production size (bench/NOTES.md).
gc.freeze()
