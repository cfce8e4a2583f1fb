"""calendar: the span index carries updated_at and sequence (fingerprints of the month, agenda and feed)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 09:00:00

The month grid, the agenda and the feed ask "count, sum of ids, newest change and sum of SEQUENCEs
of the events touching [start, end)" before they reuse what they built. With updated_at and
sequence in the span index that is answered from the index alone (a feed touches thousands).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calendar_event', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_event_span')
        batch_op.create_index('ix_calendar_event_span', ['span_end', 'span_start', 'updated_at', 'sequence'], unique=False)


def downgrade():
    with op.batch_alter_table('calendar_event', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_event_span')
        batch_op.create_index('ix_calendar_event_span', ['span_end', 'span_start'], unique=False)
