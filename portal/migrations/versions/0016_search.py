"""search: one full-text index over the portal (SQLite FTS5, PostgreSQL tsvector 'german')

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 03:00:00

The table starts empty: after upgrading an existing database run ``flask search reindex`` once
(README › Betrieb). From then on the domain events keep it current.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('beitrag', 'kommentar', 'termin', 'antrag', 'top', 'beschluss', 'protokoll',
                                  name='kind', native_enum=False, length=20), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('comment_id', sa.Integer(), nullable=True),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('proposal_id', sa.Integer(), nullable=True),
        sa.Column('meeting_id', sa.Integer(), nullable=True),
        sa.Column('agenda_item_id', sa.Integer(), nullable=True),
        sa.Column('ortsteil_id', sa.Integer(), nullable=True),
        sa.Column('sozialraum_id', sa.Integer(), nullable=True),
        sa.Column('group_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('happened_at', sa.DateTime(), nullable=False),
        sa.Column('terms', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['board_post.id'], name=op.f('fk_search_entry_post_id_board_post'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['comment_id'], ['board_comment.id'], name=op.f('fk_search_entry_comment_id_board_comment'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['calendar_event.id'], name=op.f('fk_search_entry_event_id_calendar_event'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_search_entry_proposal_id_proposal'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['meeting_id'], ['ag_meeting.id'], name=op.f('fk_search_entry_meeting_id_ag_meeting'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['agenda_item_id'], ['ag_agenda_item.id'], name=op.f('fk_search_entry_agenda_item_id_ag_agenda_item'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['ortsteil_id'], ['ortsteil.id'], name=op.f('fk_search_entry_ortsteil_id_ortsteil'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['sozialraum_id'], ['sozialraum.id'], name=op.f('fk_search_entry_sozialraum_id_sozialraum'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['group_id'], ['ag_group.id'], name=op.f('fk_search_entry_group_id_ag_group'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entry')),
        sa.UniqueConstraint('kind', 'object_id', name=op.f('uq_search_entry_kind')),
    )
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        batch_op.create_index('ix_search_entry_happened', ['happened_at', 'id'], unique=False)
        for column in ('post_id', 'comment_id', 'event_id', 'proposal_id', 'meeting_id', 'agenda_item_id',
                       'ortsteil_id', 'sozialraum_id', 'group_id'):
            batch_op.create_index(batch_op.f(f'ix_search_entry_{column}'), [column], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE INDEX ix_search_entry_terms ON search_entry "
                   "USING gin (to_tsvector('german'::regconfig, terms))")
    else:
        # External-content FTS5 table: the words live in search_entry.terms, the triggers keep the
        # full-text index in step with every insert, update and delete (cascades included).
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(terms, content='search_entry', "
                   "content_rowid='id', tokenize='unicode61 remove_diacritics 0')")
        op.execute("CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN "
                   "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END")
        op.execute("CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN "
                   "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END")
        op.execute("CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN "
                   "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); "
                   "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_search_entry_terms")
    else:
        for trigger in ('search_entry_ai', 'search_entry_ad', 'search_entry_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table('search_entry')
