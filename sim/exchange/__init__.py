"""Simulated A-share exchange and broker counter."""
from sim.exchange.events import (
                                 AssetState,
                                 AssetUpdate,
                                 CancelError,
                                 OrderError,
                                 OrderState,
                                 OrderUpdate,
                                 PositionState,
                                 PositionUpdate,
                                 TradeEvent,
                                 TradeState,
)
from sim.exchange.exchange import Exchange, ExchangeConfig

__all__ = ["AssetState", "AssetUpdate", "CancelError", "Exchange", "ExchangeConfig", "OrderError", "OrderState",
           "OrderUpdate", "PositionState", "PositionUpdate", "TradeEvent", "TradeState"]
