"""Golden tests for each stable-layer alert rule; the monitor never produces orders."""
import numpy as np

from qmt_strategies import stable
from qmt_strategies.stable import StableLayerMonitor

PERIODS = ["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31",
           "2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]


def test_single_quarters_from_cumulative():
    sq = stable.single_quarters(PERIODS[:4], [10, 25, 45, 70])
    assert sq == {(2024, 1): 10, (2024, 2): 15, (2024, 3): 20, (2024, 4): 25}
    # a missing Q2 makes Q3 unknowable
    assert stable.single_quarters(["2024-03-31", "2024-09-30"], [10, 45]) == {(2024, 1): 10}


def test_earnings_down_two_quarters_yoy():
    # 2024 quarters 10, 15, 20, 25 ; 2025 quarters 12, 16, 18, 24 -> Q3 and Q4 below a year earlier
    cum = [10, 25, 45, 70, 12, 28, 46, 70]
    hit, detail = stable.earnings_falling(PERIODS, cum)
    assert hit and detail == "2025Q3 18 < 20; 2025Q4 24 < 25"
    cum_one = [10, 25, 45, 70, 12, 28, 46, 72]  # Q4 26 > 25: only one quarter down
    assert stable.earnings_falling(PERIODS, cum_one)[0] is False
    assert stable.earnings_falling(PERIODS[:2], [1, 2])[0] is False


def test_payout_low_two_periods_in_a_row():
    assert stable.payout_low([50, 25, 20], 30)
    assert not stable.payout_low([25, 35, 20], 30)
    assert not stable.payout_low([20], 30)
    assert not stable.payout_low([25, np.nan], 30)


def test_spike_against_median():
    hit, latest, med = stable.spike([10, 10, 11, 9, 13.1], 1.3, 60)
    assert (hit, latest, med) == (True, 13.1, 10.0)
    assert not stable.spike([10, 10, 11, 9, 12.9], 1.3, 60)[0]
    assert not stable.spike([10, -3], 1.3, 60)[0]


def test_monitor_alerts_golden():
    mon = StableLayerMonitor(min_payout_pct=30, spike_ratio=1.3, spike_window=3)
    alerts = mon.check("600000.SH", 20261120, 123, payout_pcts=[40, 28, 22], pe_series=[5, 10, 10, 10, 14],
                       pb_series=[1, 1, 1, 1.2], report_periods=PERIODS, cumulative_profit=[10, 25, 45, 70, 12, 28, 46, 70])
    assert [(a.details["rule"], a.action, a.quantity, a.risk) for a in alerts] == [
        ("payout_low", "alert", 0, "中"), ("pe_spike", "alert", 0, "中"), ("earnings_down", "alert", 0, "高")]
    assert alerts[0].reason == "分红率连续2期低于30%: 28.0%, 22.0%"
    assert alerts[1].signal_id == "stable:20261120:600000.SH:pe_spike"
    assert alerts[2].score == 24.0
    assert mon.check("600000.SH", 20261120, 1, payout_pcts=[40, 41], pe_series=[10, 10, 11]) == []


def test_monitor_from_config_and_check_all():
    mon = StableLayerMonitor.from_config({"min_payout_pct": 50, "payout_periods": 3})
    out = mon.check_all(20261120, 1, {"000002.SZ": {"payout_pcts": [40, 45, 49]},
                                      "000001.SZ": {"payout_pcts": [40, 45, 51]}})
    assert [a.code for a in out] == ["000002.SZ"]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.1, 10), min_size=8, max_size=12))
def test_earnings_rule_matches_a_direct_count(singles):
    """Build cumulative reports from single quarters; the rule fires iff the two latest singles are below
    the same quarters a year earlier."""
    n = len(singles)
    periods, cum = [], []
    year, total = 2020, 0.0
    for i, v in enumerate(singles):
        q = i % 4 + 1
        if q == 1:
            total = 0.0
        total += v
        periods.append(f"{year + i // 4}-{['03-31', '06-30', '09-30', '12-31'][q - 1]}")
        cum.append(total)
    expected = singles[n - 1] < singles[n - 5] and singles[n - 2] < singles[n - 6]
    assert stable.earnings_falling(periods, cum)[0] == expected
