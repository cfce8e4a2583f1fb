"""ag invitations (issue 15 items 1, 2): Ladungsfrist, Einladung, Zusage/Absage/Vertretung,
Stellvertretung with its own term, mail attachments (.ics) in the outbox

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-01 03:00:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

ANSWER = sa.Enum('zusage', 'absage', 'vertretung', name='replyanswer', native_enum=False, length=20)


def upgrade():
    with op.batch_alter_table('ag_group', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_days', sa.Integer(), nullable=False, server_default='14'))
    with op.batch_alter_table('ag_group', schema=None) as batch_op:
        batch_op.alter_column('notice_days', server_default=None)

    with op.batch_alter_table('ag_membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deputy_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('deputy_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('deputy_to', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ag_membership_deputy_id'), ['deputy_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_ag_membership_deputy_id_user'), 'user', ['deputy_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('ag_meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('invited_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('short_notice_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_ag_meeting_invited_by_id_user'), 'user', ['invited_by_id'], ['id'],
                                    ondelete='SET NULL')
    with op.batch_alter_table('ag_meeting', schema=None) as batch_op:
        batch_op.alter_column('short_notice_reason', server_default=None)

    op.create_table(
        'ag_meeting_reply',
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('answer', ANSWER, nullable=False),
        sa.Column('deputy_id', sa.Integer(), nullable=True),
        sa.Column('replied_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['ag_meeting.id'], name=op.f('fk_ag_meeting_reply_meeting_id_ag_meeting'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['membership_id'], ['ag_membership.id'],
                                name=op.f('fk_ag_meeting_reply_membership_id_ag_membership'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['deputy_id'], ['user.id'], name=op.f('fk_ag_meeting_reply_deputy_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('meeting_id', 'membership_id', name=op.f('pk_ag_meeting_reply')),
    )
    with op.batch_alter_table('ag_meeting_reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ag_meeting_reply_membership_id'), ['membership_id'], unique=False)

    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_column('attachments')
    with op.batch_alter_table('ag_meeting_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ag_meeting_reply_membership_id'))
    op.drop_table('ag_meeting_reply')
    with op.batch_alter_table('ag_meeting', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ag_meeting_invited_by_id_user'), type_='foreignkey')
        batch_op.drop_column('short_notice_reason')
        batch_op.drop_column('invited_by_id')
        batch_op.drop_column('invited_at')
    with op.batch_alter_table('ag_membership', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ag_membership_deputy_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ag_membership_deputy_id'))
        batch_op.drop_column('deputy_to')
        batch_op.drop_column('deputy_from')
        batch_op.drop_column('deputy_id')
    with op.batch_alter_table('ag_group', schema=None) as batch_op:
        batch_op.drop_column('notice_days')
