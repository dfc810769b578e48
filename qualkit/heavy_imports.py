"""Who may load the deep-learning stack (torch), and who must not.

spaCy's rule-based sentencizer, which ingest uses to split long turns, needs no deep-learning
library. But thinc, which spaCy imports, imports torch whenever it is installed. On our 2-core
machines that costs about 1 s and 250 MB for every ingest that splits a turn, and it does nothing
useful. So spaCy is imported with torch hidden (`import_spacy`), unless torch is loaded already.

Hiding torch from ``sys.modules`` would break a thread that imports torch at that moment (the
workbench embeds while its ingest check runs). So every qualkit import that may load torch
happens inside `torch_may_load()`, which takes the same lock.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

_LOCK = threading.RLock()


@contextmanager
def torch_may_load() -> Iterator[None]:
    """Wrap any import that may load torch (transformers, sentence-transformers, torch)."""
    with _LOCK:
        yield


def import_spacy() -> ModuleType:
    """spaCy, imported without torch unless torch is already loaded."""
    with _LOCK:
        if "spacy" in sys.modules or "torch" in sys.modules:
            import spacy

            return spacy
        # None in sys.modules makes `import torch` raise ImportError, which thinc expects
        sys.modules["torch"] = None  # type: ignore[assignment]
        try:
            import spacy
        finally:
            if sys.modules.get("torch", 0) is None:
                del sys.modules["torch"]
        return spacy
