"""Stop words for spoken interview text: common English function words plus the fillers,
backchannels and transcribers' marks that fill talk but name no content."""

from __future__ import annotations

# Common English function words (pronouns, auxiliaries, prepositions, conjunctions, determiners).
ENGLISH_FUNCTION_WORDS = frozenset(
    """
    a about above after again against all almost along also although always am among an and
    another any anybody anyone anything anyway anywhere are around as at be became because
    become been before being below besides between both but by can could did do does doing
    done down during each either else enough even ever every everybody everyone everything
    few for from further had has have having he her here hers herself him himself his how
    however i if in into is it its itself just least less many may me might mine more most
    much must my myself neither never no nobody none nor not nothing now of off often on once
    one only onto or other others otherwise our ours ourselves out over own per perhaps quite
    rather same several shall she should since so some somebody someone something sometimes
    somewhat somewhere still such than that the their theirs them themselves then there
    therefore these they this those though through thus till to together too toward towards
    under until up upon us very via was we well were what whatever when whenever where
    whereas wherever whether which while who whoever whole whom whose why will with within
    without would yet you your yours yourself yourselves
    """.split()
)

# Spoken-language fillers, backchannels, hedges and apostrophe-less contractions.
SPOKEN_FILLERS = frozenset(
    """
    yeah yes yep yup ya yah okay ok um umm uh uhm er erm mm mmm hmm hm ah oh ooh ohh aha huh
    right sure alright like just really know think thing things lot lots sort kind bit
    actually basically literally probably maybe guess mean say said says saying go goes going
    went gonna wanna gotta got get gets getting thank thanks cool fine great good exactly
    totally absolutely definitely obviously anyway stuff pretty little kinda sorta
    im ive id youre youve youd theyre theyve thats whats theres dont didnt doesnt isnt cant
    wont wasnt arent werent couldnt wouldnt shouldnt hasnt havent hadnt lets ill hes shes
    didn doesn don isn aren wasn weren couldn wouldn shouldn hasn haven hadn ve ll re
    bye hello hi sorry please
    laughs laughing laughter inaudible unintelligible crosstalk pause sighs coughs unclear
    """.split()
)

SPOKEN_STOP_WORDS = ENGLISH_FUNCTION_WORDS | SPOKEN_FILLERS
