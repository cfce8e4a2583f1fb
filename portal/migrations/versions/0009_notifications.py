"""notifications: the bell's entries, settings per kind, boards followed, the mail outbox, digests

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 18:14:40
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('board_follow',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ortsteil_id', sa.Integer(), nullable=False),
    sa.Column('following', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['ortsteil_id'], ['ortsteil.id'], name=op.f('fk_board_follow_ortsteil_id_ortsteil'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_board_follow_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'ortsteil_id', name=op.f('pk_board_follow'))
    )
    with op.batch_alter_table('board_follow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_follow_ortsteil_id'), ['ortsteil_id'], unique=False)

    op.create_table('digest_run',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('sofort', 'taeglich', 'woechentlich', 'portal', name='channel', native_enum=False, length=20), nullable=False),
    sa.Column('covered_until', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_digest_run_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'channel', name=op.f('pk_digest_run'))
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject_key', sa.String(length=60), nullable=False),
    sa.Column('subject_title', sa.String(length=300), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_notification_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user_created', ['user_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notification_user_id', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_notification_user_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('notification_setting',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.Enum('sofort', 'taeglich', 'woechentlich', 'portal', name='channel', native_enum=False, length=20), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_setting_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_setting'))
    )
    op.create_table('outbox_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', name='mailstatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=40), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_outbox_mail_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mail'))
    )
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_mail_queue', ['status', 'next_attempt_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_mail_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_mail_user_id'))
        batch_op.drop_index('ix_outbox_mail_queue')

    op.drop_table('outbox_mail')
    op.drop_table('notification_setting')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_unread')
        batch_op.drop_index('ix_notification_user_id')
        batch_op.drop_index('ix_notification_user_created')

    op.drop_table('notification')
    op.drop_table('digest_run')
    with op.batch_alter_table('board_follow', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_follow_ortsteil_id'))

    op.drop_table('board_follow')
