"""join: Ortsteil invitation links and the accounts that joined through them

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 19:30:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'join_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('valid_until', sa.DateTime(), nullable=False),
        sa.Column('max_uses', sa.Integer(), nullable=False),
        sa.Column('needs_release', sa.Boolean(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_join_link_created_by_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_join_link')),
        sa.UniqueConstraint('token', name=op.f('uq_join_link_token')),
    )
    with op.batch_alter_table('join_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_link_created_by_id'), ['created_by_id'], unique=False)
    op.create_table(
        'join_link_ortsteil',
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('ortsteil_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['link_id'], ['join_link.id'], name=op.f('fk_join_link_ortsteil_link_id_join_link'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['ortsteil_id'], ['ortsteil.id'], name=op.f('fk_join_link_ortsteil_ortsteil_id_ortsteil'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('link_id', 'ortsteil_id', name=op.f('pk_join_link_ortsteil')),
    )
    op.create_table(
        'joined_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('joined_at', sa.DateTime(), nullable=False),
        sa.Column('released_at', sa.DateTime(), nullable=True),
        sa.Column('released_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['link_id'], ['join_link.id'], name=op.f('fk_joined_account_link_id_join_link'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['released_by_id'], ['user.id'], name=op.f('fk_joined_account_released_by_id_user'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_joined_account_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_joined_account')),
        sa.UniqueConstraint('user_id', name=op.f('uq_joined_account_user_id')),
    )
    with op.batch_alter_table('joined_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_joined_account_link_id'), ['link_id'], unique=False)
    op.create_table(
        'first_steps_dismissed',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('dismissed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_first_steps_dismissed_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_first_steps_dismissed')),
    )


def downgrade():
    op.drop_table('first_steps_dismissed')
    with op.batch_alter_table('joined_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_joined_account_link_id'))
    op.drop_table('joined_account')
    op.drop_table('join_link_ortsteil')
    with op.batch_alter_table('join_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_link_created_by_id'))
    op.drop_table('join_link')
