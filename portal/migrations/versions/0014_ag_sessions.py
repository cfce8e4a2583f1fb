"""ag sessions (issue 15): change requests tied to a TOP with a state and an answer

Revision ID: 0014
Revises: 0011
Create Date: 2026-11-30 19:40:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None

STATUS = sa.Enum('offen', 'uebernommen', 'abgelehnt', name='changerequeststatus', native_enum=False, length=20)


def upgrade():
    with op.batch_alter_table('ag_change_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agenda_item_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status', STATUS, nullable=False, server_default='offen'))
        batch_op.add_column(sa.Column('answer', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('answered_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ag_change_request_agenda_item_id_ag_agenda_item'),
                                    'ag_agenda_item', ['agenda_item_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_ag_change_request_answered_by_id_user'),
                                    'user', ['answered_by_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('ag_change_request', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)
        batch_op.alter_column('answer', server_default=None)


def downgrade():
    with op.batch_alter_table('ag_change_request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ag_change_request_answered_by_id_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_ag_change_request_agenda_item_id_ag_agenda_item'), type_='foreignkey')
        batch_op.drop_column('answered_by_id')
        batch_op.drop_column('answered_at')
        batch_op.drop_column('answer')
        batch_op.drop_column('status')
        batch_op.drop_column('agenda_item_id')
