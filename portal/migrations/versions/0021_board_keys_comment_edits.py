"""board: the "Neuer Beitrag" form's request key (one post per form sent), comments edited ("bearbeitet")

Revision ID: 0021
Revises: 0015
Create Date: 2026-12-01 02:50:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('board_post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_key', sa.String(length=64), nullable=True))
        batch_op.create_index('ux_board_post_request_key', ['author_id', 'request_key'], unique=True)
    with op.batch_alter_table('board_comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('board_comment', schema=None) as batch_op:
        batch_op.drop_column('edited_at')
    with op.batch_alter_table('board_post', schema=None) as batch_op:
        batch_op.drop_index('ux_board_post_request_key')
        batch_op.drop_column('request_key')
