"""cache_generation: per-worker caches are invalidated by the writes themselves

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 18:30:00

Every flush that writes a row a cache depends on raises that cache's generation (see
portal/caching.py); readers put the generation into their keys.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cache_generation',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_generation')),
    )


def downgrade():
    op.drop_table('cache_generation')
