"""oparl: öffentliche/nicht öffentliche TOPs, created/modified for OParl, personal API tokens

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-01 02:50:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

#: (table, columns) that get created_at/updated_at; existing rows get the time of the upgrade.
STAMPED = (
    ('ag_group', ('updated_at',)),
    ('ag_membership', ('created_at', 'updated_at')),
    ('ag_meeting', ('created_at',)),
    ('ag_agenda_item', ('created_at', 'updated_at')),
    ('traeger', ('created_at', 'updated_at')),
)


def upgrade():
    # Plain ADD/DROP COLUMN (no batch copy): traeger is referenced by many tables, and copying it
    # would trip SQLite's foreign keys. The constant server defaults only fill the existing rows.
    now = "timezone('utc', now())" if op.get_bind().dialect.name == 'postgresql' else "CURRENT_TIMESTAMP"
    for table, columns in STAMPED:
        for column in columns:
            op.add_column(table, sa.Column(column, sa.DateTime(), nullable=False,
                                           server_default='2026-01-01 00:00:00'))
        op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = {now}" for c in columns))

    # Until now every TOP was for members only: existing TOPs and AGs stay nicht öffentlich.
    op.add_column('ag_group', sa.Column('agenda_public_default', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.add_column('ag_agenda_item', sa.Column('public', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash')),
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))
    op.drop_table('api_token')
    op.drop_column('ag_agenda_item', 'public')
    op.drop_column('ag_group', 'agenda_public_default')
    for table, columns in reversed(STAMPED):
        for column in reversed(columns):
            op.drop_column(table, column)
