"""search: an entry's id sorts like the hit list, so FTS5 reads a word's entries newest first

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 17:30:00

The id becomes seconds of ``happened_at`` (UTC) × 2³¹ + object id × 8 + the kind's number
(``portal.search_index.models.entry_id``); on SQLite it is also the full-text index's rowid, so
``ORDER BY search_fts.rowid DESC`` reads the entries that contain a word newest first and stops after
one page – one plan for every word (bench/NOTES.md). The old date index goes. The old ids are first
made negative: a date before 1970 gives a new id below 2³¹ that could meet an old one not yet renumbered.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

_KIND_NUMBER = ("CASE kind WHEN 'beitrag' THEN 0 WHEN 'kommentar' THEN 1 WHEN 'termin' THEN 2 WHEN 'antrag' THEN 3 "
                "WHEN 'top' THEN 4 WHEN 'beschluss' THEN 5 ELSE 6 END")
_UPDATE_TRIGGER = ("CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN "
                   "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); "
                   "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END")


def upgrade():
    op.drop_index('ix_search_entry_happened', table_name='search_entry')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE search_entry ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS search_entry_id_seq")
        op.alter_column('search_entry', 'id', type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)
        seconds = "LEAST(GREATEST(floor(extract(epoch FROM happened_at)), 0), 4294967295)::bigint"
        op.execute("UPDATE search_entry SET id = -id")  # out of the way of the new ids (docstring)
        op.execute(f"UPDATE search_entry SET id = {seconds} * 2147483648 + object_id::bigint * 8 + {_KIND_NUMBER}")
    else:
        # SQLite's INTEGER PRIMARY KEY holds 64 bits already. The full-text index is rebuilt once
        # instead of being updated row by row.
        op.execute("DROP TRIGGER IF EXISTS search_entry_au")
        # Whole seconds as Python's int(timestamp()): strftime would round a fraction to milliseconds.
        seconds = "MIN(MAX(CAST(strftime('%s', substr(happened_at, 1, 19)) AS INTEGER), 0), 4294967295)"
        op.execute("UPDATE search_entry SET id = -id")  # out of the way of the new ids (docstring)
        op.execute(f"UPDATE search_entry SET id = {seconds} * 2147483648 + object_id * 8 + {_KIND_NUMBER}")
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        op.execute(_UPDATE_TRIGGER)


def downgrade():
    # The index is derived data: emptied here, `flask search reindex` fills it again.
    op.execute("DELETE FROM search_entry")
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('search_entry', 'id', type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
        op.execute("CREATE SEQUENCE search_entry_id_seq OWNED BY search_entry.id")
        op.execute("ALTER TABLE search_entry ALTER COLUMN id SET DEFAULT nextval('search_entry_id_seq')")
    else:
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    op.create_index('ix_search_entry_happened', 'search_entry', ['happened_at', 'id'], unique=False)
