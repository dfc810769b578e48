"""The evidence floor: segments whose words carry too little content to suggest anything for.

"Yeah.", "No." or "[laughs] Was it?" match codes only by accident, and a confident wrong
suggestion costs the coder more than none. A segment needs a few content words (not filler, not
stop words, not transcription notes in brackets) before it gets suggestions.
"""

from __future__ import annotations

import re

from qualkit.assist.stopwords import SPOKEN_STOP_WORDS

MIN_CONTENT_WORDS = 3
_NOTE = re.compile(r"\[[^\]]*\]|\([^)]*\)")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def content_words(text: str) -> list[str]:
    """Words of ``text`` that carry content: transcription notes such as [laughs] or
    (unintelligible) removed, stop words and spoken filler left out."""
    bare = _NOTE.sub(" ", str(text)).lower()
    words = (re.sub(r"['’]", "", w) for w in _WORD.findall(bare))  # didn't -> didnt
    return [w for w in words if w not in SPOKEN_STOP_WORDS]


def has_evidence(text: str, minimum: int = MIN_CONTENT_WORDS) -> bool:
    """Whether ``text`` says enough to be matched against codes."""
    return len(content_words(text)) >= minimum
