"""config/offensive.yaml and config/sector_etfs.yaml: valid as shipped, unknown keys and bad values rejected
with one sentence naming the file and field."""
import pytest
import yaml

from config.loader import ConfigError
from config.offensive_schema import OffensiveFile, load_offensive, load_sector_etfs
from qmt_strategies.offensive import OffensiveLayerStrategy
from qmt_strategies.stable import StableLayerMonitor


def test_shipped_files_are_valid_and_build_the_layers():
    cfg = load_offensive()
    assert cfg.offensive.buy_threshold == 5.0 and cfg.valuation.window_years == 5
    s = OffensiveLayerStrategy.from_config(cfg.offensive)
    assert (s.buy_threshold, s.rotation, s.weights["technical"]) == (5.0, "weekly", 0.35)
    m = StableLayerMonitor.from_config(cfg.stable)
    assert (m.min_payout_pct, m.payout_periods) == (30.0, 2)
    etfs = load_sector_etfs(cfg.sector_etfs_file).sector_etfs
    assert len(etfs) == 34 and etfs[0].code == "512880.SH"


def test_every_field_has_a_description():
    def walk(model):
        for name, f in model.model_fields.items():
            assert f.description, f"{model.__name__}.{name} lacks a description"
            ann = f.annotation
            if isinstance(ann, type) and hasattr(ann, "model_fields"):
                walk(ann)
    walk(OffensiveFile)


@pytest.mark.parametrize("patch,expected", [
    ({"offensive": {"buy_threshhold": 6}}, "offensive.buy_threshhold is not a known setting"),
    ({"offensive": {"buy_threshold": 11}}, "offensive.buy_threshold = 11 is not allowed"),
    ({"offensive": {"buy_threshold": 2, "sell_threshold": 3}}, "sell_threshold must not exceed buy_threshold"),
    ({"offensive": {"weights": {"industry": 0, "valuation": 0, "technical": 0, "chip": 0}}},
     "at least one factor weight must be above 0"),
    ({"stable": {"watch": ["600519"]}}, "'600519' is not a code like 600519.SH"),
    ({"valuation": {"green_max": 80, "red_min": 70}}, "green_max must be below red_min"),
    ({"offensive": {"rotation": "yearly"}}, "offensive.rotation = 'yearly' is not allowed"),
])
def test_bad_values_are_one_sentence(tmp_path, patch, expected):
    p = tmp_path / "offensive.yaml"
    p.write_text(yaml.safe_dump(patch, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_offensive(p)
    msg = str(err.value)
    assert msg.startswith(str(p)) and expected in msg and "\n" not in msg


def test_sector_table_rejects_duplicates_and_bad_codes(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("sector_etfs:\n  - {code: 512880.SH, sector: 证券}\n  - {code: 512880.SH, sector: 券商}\n",
                 encoding="utf-8")
    with pytest.raises(ConfigError, match="512880.SH is listed twice"):
        load_sector_etfs(p)
    p.write_text("sector_etfs:\n  - {code: '512880', sector: 证券}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a code like 512880.SH"):
        load_sector_etfs(p)
