"""Seeded market generator: universe, factor-driven day paths, books, planted events, history."""
from sim.market.events import PlantedEvent, PlantSpec

__all__ = ["PlantSpec", "PlantedEvent"]
