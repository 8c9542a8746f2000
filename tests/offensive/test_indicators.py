"""Golden and property tests for qmt_strategies.indicators (vectorised over [stocks x days])."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from qmt_strategies import indicators as ind


def test_sma_golden():
    out = ind.sma([[1, 2, 3, 4, 5]], 3)
    assert np.isnan(out[0, :2]).all()
    assert out[0, 2:].tolist() == [2.0, 3.0, 4.0]


def test_ema_golden_and_nan_carry():
    # alpha = 2/(3+1) = 0.5: 10, 15, 17.5 ; NaN keeps 17.5 ; then 17.5 + 0.5*(2.5) = 18.75
    out = ind.ema([[10, 20, 20, np.nan, 20]], 3)[0]
    assert out.tolist() == [10.0, 15.0, 17.5, 17.5, 18.75]
    lead = ind.ema([[np.nan, 4.0, 8.0]], 3)[0]
    assert np.isnan(lead[0]) and lead[1:].tolist() == [4.0, 6.0]


def test_macd_constant_price_is_zero_and_rising_positive():
    flat = ind.macd(np.full((1, 60), 10.0))
    assert all(np.allclose(x, 0.0) for x in flat)
    dif, dea, hist = ind.macd(np.arange(1, 61, dtype=float)[None, :])
    assert dif[0, -1] > 0 and dea[0, -1] > 0
    assert np.allclose(hist, 2 * (dif - dea))


def test_volume_ratio_and_breakout_golden():
    vol = [[100, 100, 100, 100, 100, 300]]
    vr = ind.volume_ratio(vol, 5)[0]
    assert np.isnan(vr[:5]).all() and vr[5] == 3.0
    close = [[10, 11, 12, 11, 12.5]]
    high = [[10, 11, 12, 11.5, 12.6]]
    assert ind.breakout(close, high, 3)[0].tolist() == [False, False, False, False, True]


def test_crossed_above_within():
    a = [[0, 0, 2, 2, 2]]
    b = [[1, 1, 1, 1, 1]]
    assert ind.crossed_above(a, b)[0].tolist() == [False, False, True, False, False]
    assert ind.crossed_above(a, b, within=2)[0].tolist() == [False, False, True, True, False]


def test_ffill_keeps_leading_nan():
    out = ind.ffill([[np.nan, 1, np.nan, np.nan, 3]])[0]
    assert np.isnan(out[0]) and out[1:].tolist() == [1, 1, 1, 3]


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (4, 30), elements=st.floats(1, 100)), st.integers(1, 10))
def test_vectorised_equals_per_stock(x, n):
    """Computing the universe at once gives the same rows as one stock at a time."""
    for f in (lambda a: ind.sma(a, n), lambda a: ind.ema(a, n), lambda a: ind.rolling_max(a, n),
              lambda a: ind.volume_ratio(a, n), lambda a: ind.macd(a)[2]):
        whole = f(x)
        rows = np.vstack([f(x[i]) for i in range(x.shape[0])])
        assert np.allclose(whole, rows, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (3, 25), elements=st.floats(1, 100)), st.integers(1, 8))
def test_rolling_max_matches_naive(x, n):
    out = ind.rolling_max(x, n)
    for j in range(n - 1, x.shape[1]):
        assert np.allclose(out[:, j], x[:, j - n + 1:j + 1].max(axis=1))


def test_sma_nan_only_spoils_its_own_windows():
    out = ind.sma([[np.nan, 1, 2, 3, 4]], 2)[0]
    assert np.isnan(out[:2]).all() and out[2:].tolist() == [1.5, 2.5, 3.5]
