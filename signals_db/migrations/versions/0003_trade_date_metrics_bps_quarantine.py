"""trades keyed by trade date; backtest win rate / annual return; finance bps; quarantine dedup key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 13:45:00

- trades: brokers number fills per trading day, so the natural key becomes (account_id, trade_date, traded_id);
  trade_date is backfilled from ts (stored as Asia/Shanghai wall-clock time, so DATE(ts) is the Shanghai date).
- backtest_runs: win_rate, annual_return (nullable DOUBLE).
- finance_data: bps, book value per share (nullable DECIMAL(16,4)).
- quarantine: dedup_key = sha1 of (source, table, natural key, reason) [+ payload for journal lines], unique, so a
  row that fails again for the same reason is not quarantined twice. Existing duplicates are removed (oldest kept).
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _dedup_key(source, table_name, natural_key, reason, payload) -> str:
    # frozen copy of signals_db.store.quarantine_key as of this revision (migrations must not change later)
    parts = [source or "", table_name or "", natural_key or "", reason or ""]
    if source == "journal":  # journal lines: same file:line and reason but other content is another entry
        parts.append(payload or "")
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trade_date', sa.Date(), nullable=True))
    op.execute("UPDATE trades SET trade_date = DATE(ts)")
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.alter_column('trade_date', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint('uq_trades_traded_id', type_='unique')
        batch_op.create_unique_constraint('uq_trades_day_traded_id', ['account_id', 'trade_date', 'traded_id'])

    with op.batch_alter_table('backtest_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('win_rate', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('annual_return', sa.Double(), nullable=True))

    with op.batch_alter_table('finance_data', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bps', sa.Numeric(precision=16, scale=4), nullable=True))

    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedup_key', sa.String(length=40), nullable=True))
    conn = op.get_bind()
    seen: set[str] = set()
    for qid, source, table_name, natural_key, reason, payload in conn.execute(sa.text(
            "SELECT id, source, table_name, natural_key, reason, payload FROM quarantine ORDER BY id")).all():
        key = _dedup_key(source, table_name, natural_key, reason, payload)
        if key in seen:
            conn.execute(sa.text("DELETE FROM quarantine WHERE id = :i"), {"i": qid})
        else:
            seen.add(key)
            conn.execute(sa.text("UPDATE quarantine SET dedup_key = :k WHERE id = :i"), {"k": key, "i": qid})
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.alter_column('dedup_key', existing_type=sa.String(length=40), nullable=False)
        batch_op.create_unique_constraint('uq_quarantine_dedup', ['dedup_key'])


def downgrade() -> None:
    # Fails (unique violation) if the same traded_id was stored on two days: that is data the old key cannot hold.
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_constraint('uq_quarantine_dedup', type_='unique')
        batch_op.drop_column('dedup_key')
    with op.batch_alter_table('finance_data', schema=None) as batch_op:
        batch_op.drop_column('bps')
    with op.batch_alter_table('backtest_runs', schema=None) as batch_op:
        batch_op.drop_column('annual_return')
        batch_op.drop_column('win_rate')
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.drop_constraint('uq_trades_day_traded_id', type_='unique')
        batch_op.create_unique_constraint('uq_trades_traded_id', ['account_id', 'traded_id'])
        batch_op.drop_column('trade_date')
