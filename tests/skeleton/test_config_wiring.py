"""Every settings.yaml value the limit-up ETF strategy reads reaches its parameters."""
from __future__ import annotations

from bridge.strategy_ports import limit_up_params
from config.loader import load_config


def test_limit_up_params_take_every_config_section(tmp_path):
    p = tmp_path / "settings.yaml"
    p.write_text("strategy:\n  min_weight: 0.07\nsignal_evaluation:\n  risk_morning_hour: 11\n"
                 "limit_up_etf:\n  max_positions: 9\n  signal_states: [sealed]\n  buy_price_ticks: 4\n"
                 "exits:\n  stop_loss_pct: 0.04\n  exit_time: '14:45'\n", encoding="utf-8")
    params = limit_up_params(load_config(p, env={}))
    assert params.min_weight == 0.07 and params.risk_morning_hour == 11
    assert params.max_positions == 9 and params.signal_states == ("sealed",) and params.buy_price_ticks == 4
    assert params.stop_loss_pct == 0.04 and params.exit_time == "14:45:00"


def test_shipped_config_matches_strategy_defaults():
    """The strategy's own defaults and settings.yaml agree, except where exits deliberately override them."""
    params = limit_up_params(load_config(env={})).as_dict()
    from qmt_strategies.evaluate import LimitUpEtfParams

    defaults = LimitUpEtfParams().as_dict()
    differ = {k for k in defaults if defaults[k] != params[k]}
    assert differ <= {"stop_loss_pct", "take_profit_pct", "trailing_pct"}, differ
