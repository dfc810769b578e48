"""Keep Python's full garbage collections off the key path: once the coding screen is drawn, what
start-up allocated is moved out of the collector's sight, so a collection scans only newer objects.

At 1,000,000 segments a full collection scanned every object start-up made (the transcript list,
the codebook, the libraries) and took 140-190 ms; it fell on a key every ten seconds or so.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what start-up left behind once, then freeze what is still alive (`gc.freeze`):
    later collections skip it. Objects keep being freed by reference counting as before."""
    gc.collect()
    gc.freeze()


def release() -> None:
    """Put the frozen objects back under the collector (the screen is closing)."""
    gc.unfreeze()
