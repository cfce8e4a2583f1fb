"""production-size indexes (issue 7: benchmark at 100,000 posts)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 07:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # "Freigegebene Projekte" shows the running ones: state IN (...) AND ends_on >= today.
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index('ix_proposal_state_ends', ['state', 'ends_on'], unique=False)


def downgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_index('ix_proposal_state_ends')
