"""Planted market events (ground truth of the day) and how tests ask for them."""
from __future__ import annotations

from dataclasses import dataclass

LIMIT_UP_OPEN = "limit_up_open"          # 一字板: sealed at the limit from the opening auction to the close
LIMIT_UP_SEALED = "limit_up_sealed"      # reaches the limit intraday and stays sealed to the close
LIMIT_UP_BROKEN = "limit_up_broken"      # 炸板: seals, then the board opens and it does not reseal
LIMIT_UP_RESEALED = "limit_up_resealed"  # seals, opens, reseals
LIMIT_DOWN = "limit_down"                # reaches the down limit intraday and stays sealed
SUSPENDED = "suspended"                  # suspended all day
KINDS = (LIMIT_UP_OPEN, LIMIT_UP_SEALED, LIMIT_UP_BROKEN, LIMIT_UP_RESEALED, LIMIT_DOWN, SUSPENDED)
LIMIT_UP_KINDS = (LIMIT_UP_OPEN, LIMIT_UP_SEALED, LIMIT_UP_BROKEN, LIMIT_UP_RESEALED)


@dataclass(frozen=True, slots=True)
class PlantSpec:
    """A request to plant an event: kind at 'HH:MM:SS' on `code` (or a random stock of `board` / any board)."""
    kind: str
    time: str = "10:30:00"
    code: str | None = None
    board: str | None = None
    open_after_s: int = 600     # broken/resealed: seconds sealed before the board opens
    reseal_after_s: int = 900   # resealed: seconds open before it reseals

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"PlantSpec.kind {self.kind!r} is not one of {', '.join(KINDS)}")


@dataclass(frozen=True, slots=True)
class PlantedEvent:
    """Ground truth: `code` had event `kind`; time_ms is when it first sealed (or the open, for suspensions)."""
    code: str
    kind: str
    time_ms: int
    open_ms: int | None = None      # when the board first opened again (broken / resealed)
    reseal_ms: int | None = None    # when it sealed again (resealed)
    planted: bool = True            # False = arose from the random path (natural)
