"""search: FTS5 prefix indexes and the vocabulary table, so that a frequent word typed live is one lookup

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 09:50:00
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

_COLUMNS = "terms, content='search_entry', content_rowid='id', tokenize='unicode61 remove_diacritics 0'"


def _recreate(options: str) -> None:
    # The triggers of 0016 name the table, not its definition: they keep working on the new one.
    op.execute("DROP TABLE IF EXISTS search_fts")
    op.execute(f"CREATE VIRTUAL TABLE search_fts USING fts5({_COLUMNS}{options})")
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


def upgrade():
    # PostgreSQL: to_tsquery's prefix match ("kind:*") runs on the GIN index as it is.
    if op.get_bind().dialect.name == 'sqlite':
        # Prefixes of 3 to 6 letters (portal.search.MIN_PREFIX is 3) get their own index: a live
        # search for a frequent word probes it per row instead of merging every word it begins
        # (bench/NOTES.md: 'kind*' 199 -> 1.8 ms at production size).
        _recreate(", prefix='3 4 5 6'")
        # The index's words, for a longer prefix ("laternenumz" -> laternenumzug).
        op.execute("CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row')")


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE IF EXISTS search_vocab")
        _recreate("")
