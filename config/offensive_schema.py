"""Schema of config/offensive.yaml (offensive + stable layers, valuation, sector flow, refdata) and
config/sector_etfs.yaml. Unknown keys are rejected; every field has a description and bounds.

Loaded by `load_offensive()` / `load_sector_etfs()` (same one-sentence errors as config/loader.py).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from config.schema import _CODE
from config.schema import Section as _Section
CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_OFFENSIVE = CONFIG_DIR / "offensive.yaml"
DEFAULT_SECTOR_ETFS = CONFIG_DIR / "sector_etfs.yaml"


class FactorWeights(_Section):
    industry: float = Field(0.25, ge=0, le=1, description="weight of the industry money-flow score")
    valuation: float = Field(0.20, ge=0, le=1, description="weight of the valuation (cheapness) score")
    technical: float = Field(0.35, ge=0, le=1, description="weight of the technical score (MACD, volume ratio, breakout)")
    chip: float = Field(0.20, ge=0, le=1, description="weight of the chip / main-force control score")

    @model_validator(mode="after")
    def _not_all_zero(self) -> FactorWeights:
        if self.industry + self.valuation + self.technical + self.chip <= 0:
            raise ValueError("at least one factor weight must be above 0")
        return self


class OffensiveSettings(_Section):
    buy_threshold: float = Field(5.0, ge=0, le=10, description="composite score (0..10) at or above which a buy signal is produced")
    sell_threshold: float = Field(3.0, ge=0, le=10, description="composite score below which a held stock is sold (decay)")
    decay_drop: float = Field(2.5, gt=0, le=10, description="sell when the composite fell this much below its value at entry")
    take_profit_pct: float = Field(0.15, gt=0, le=2, description="take-profit price = entry x (1 + this)")
    stop_loss_pct: float = Field(0.07, gt=0, lt=1, description="stop-loss price = entry x (1 - this)")
    weights: FactorWeights = Field(default_factory=FactorWeights, description="factor weights (normalised to sum 1)")
    rotation: Literal["daily", "weekly", "monthly"] = Field("weekly", description="how often the top industries/stocks are re-picked")
    top_industries: int = Field(3, ge=1, le=50, description="industries kept in a rotation (top N by industry score)")
    top_stocks: int = Field(3, ge=1, le=50, description="stocks kept per industry (top M by composite)")
    max_industry_weight: float = Field(0.40, gt=0, le=1, description="cap on one industry's share of capital")
    max_stock_weight: float = Field(0.15, gt=0, le=1, description="cap on one stock's share of capital")
    capital: float = Field(0.0, ge=0, le=1e11, description="capital (CNY) used to size suggested quantities; 0 = no quantities")

    @model_validator(mode="after")
    def _ordered(self) -> OffensiveSettings:
        if self.sell_threshold > self.buy_threshold:
            raise ValueError("sell_threshold must not exceed buy_threshold")
        if self.max_stock_weight > self.max_industry_weight:
            raise ValueError("max_stock_weight must not exceed max_industry_weight")
        return self


class StableSettings(_Section):
    watch: list[str] = Field(default_factory=list, max_length=2000, description="stable-layer codes to watch (600519.SH, ...)")
    min_payout_pct: float = Field(30.0, ge=0, le=100, description="alert when the cash payout ratio (%) is below this...")
    payout_periods: int = Field(2, ge=1, le=8, description="...in this many periods in a row")
    spike_ratio: float = Field(1.3, gt=1, le=10, description="alert when PE or PB reaches this multiple of its recent median")
    spike_window: int = Field(60, ge=5, le=1000, description="observations in the median the spike is measured against")
    earnings_quarters: int = Field(2, ge=1, le=8, description="alert when single-quarter profit fell year on year this many quarters in a row")

    @field_validator("watch")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        for c in v:
            if not _CODE.match(c):
                raise ValueError(f"{c!r} is not a code like 600519.SH")
        return v


class ValuationSettings(_Section):
    window_years: int = Field(5, ge=1, le=20, description="PE-TTM history window for the percentile, in years")
    green_max: float = Field(30.0, ge=0, le=100, description="percentile at or below which the light is green (cheap)")
    red_min: float = Field(70.0, ge=0, le=100, description="percentile at or above which the light is red (expensive)")
    min_points: int = Field(240, ge=20, le=10000, description="fewer PE observations than this: no percentile")
    map_batch_size: int = Field(20, ge=1, le=1000, description="ETFs whose index is looked up per run (auto-mapping)")
    max_match_attempts: int = Field(3, ge=1, le=20, description="failed matches after which an ETF is marked unmappable")
    aliases: dict[str, str] = Field(default_factory=dict, max_length=2000,
                                    description="ETF-name fragment or index name -> index code, for names that differ between sources")

    @model_validator(mode="after")
    def _ordered(self) -> ValuationSettings:
        if self.green_max >= self.red_min:
            raise ValueError("green_max must be below red_min")
        return self


class RefdataSettings(_Section):
    pace_seconds: float = Field(0.5, ge=0, le=60, description="minimum pause between two akshare requests")
    bar_days: int = Field(250, ge=30, le=5000, description="trading days of bars fetched on the first run")


class OffensiveFile(_Section):
    """config/offensive.yaml."""

    offensive: OffensiveSettings = Field(default_factory=OffensiveSettings, description="offensive layer (scores, signals, rotation)")
    stable: StableSettings = Field(default_factory=StableSettings, description="stable layer (fundamental alerts, never trades)")
    valuation: ValuationSettings = Field(default_factory=ValuationSettings, description="ETF -> index PE percentile and light")
    refdata: RefdataSettings = Field(default_factory=RefdataSettings, description="reference-data loading")
    sector_etfs_file: str = Field("config/sector_etfs.yaml", min_length=1, max_length=1024,
                                  description="table of sector ETFs for the money-flow ranking (relative to the project root)")


class SectorEtf(_Section):
    code: str = Field(..., description="ETF code as QMT writes it, e.g. 512880.SH")
    sector: str = Field(..., min_length=1, max_length=32, description="sector / industry name")
    index: str | None = Field(None, min_length=6, max_length=8, description="tracked index code when known, e.g. 399975")

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not _CODE.match(v):
            raise ValueError(f"{v!r} is not a code like 512880.SH")
        return v


class SectorEtfsFile(_Section):
    """config/sector_etfs.yaml."""

    sector_etfs: list[SectorEtf] = Field(..., min_length=1, max_length=500, description="one liquid ETF per sector")

    @model_validator(mode="after")
    def _unique(self) -> SectorEtfsFile:
        seen = set()
        for e in self.sector_etfs:
            if e.code in seen:
                raise ValueError(f"{e.code} is listed twice")
            seen.add(e.code)
        return self


def load_offensive(path: str | os.PathLike | None = None) -> OffensiveFile:
    """Read and validate config/offensive.yaml; ConfigError (one sentence) when it is wrong."""
    from config.loader import load_file

    return load_file(OffensiveFile, path or DEFAULT_OFFENSIVE)


def load_sector_etfs(path: str | os.PathLike | None = None) -> SectorEtfsFile:
    """Read and validate the sector ETF table (a relative path is taken from the project root)."""
    from config.loader import load_file, project_path

    return load_file(SectorEtfsFile, project_path(path) if path else DEFAULT_SECTOR_ETFS)
