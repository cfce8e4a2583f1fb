"""calendar: several named feed addresses per person (issue 18.7), each revocable

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-01 03:00:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calendar_feed_token', schema=None) as batch_op:
        batch_op.drop_constraint('uq_calendar_feed_token_user_id', type_='unique')
        batch_op.add_column(sa.Column('name', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('filter_args', sa.String(length=200), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_calendar_feed_token_user_id'), ['user_id'], unique=False)


def downgrade():
    # keep each person's newest address (one per person again)
    op.execute("DELETE FROM calendar_feed_token WHERE id NOT IN "
               "(SELECT MAX(id) FROM calendar_feed_token GROUP BY user_id)")
    with op.batch_alter_table('calendar_feed_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_token_user_id'))
        batch_op.drop_column('filter_args')
        batch_op.drop_column('name')
        batch_op.create_unique_constraint('uq_calendar_feed_token_user_id', ['user_id'])
