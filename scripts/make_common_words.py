"""Write qualkit/reports/common_words.txt: the common English words `qualkit anonymise check`
never reports (lower case, one a line).

The stop-word lists of scikit-learn and spaCy (both installed with qualkit), plus the words
below: ones a transcript capitalises in mid-sentence (I, OK, Mum, days, months, languages)
and everyday words that follow a quotation mark or an ellipsis. Run it again after editing
the lists: `python scripts/make_common_words.py`.
"""

from __future__ import annotations

from pathlib import Path

EVERYDAY = """
i i'm i'd i'll i've ok okay yeah yes no oh ah um uh erm er mm mhm hmm uh-huh wow gosh yep nope
hi hello bye thanks thank please sorry right well so like just really actually basically
anyway alright honestly obviously definitely maybe perhaps sure fine good great lovely nice
mum mummy mom mommy dad daddy mother father parent parents baby babies nan nanny grandma
grandad grandmother grandfather granny auntie aunt uncle sister brother son daughter husband
wife partner family families child children kid kids boy girl friend friends
mr mrs ms miss dr doctor nurse sir madam
god lord jesus christmas easter eid ramadan diwali new year
monday tuesday wednesday thursday friday saturday sunday
mondays tuesdays wednesdays thursdays fridays saturdays sundays weekend weekends
january february march april may june july august september october november december
spring summer autumn winter
english british scottish welsh irish european african asian american caribbean arabic
bengali somali polish turkish urdu french spanish portuguese romanian tamil punjabi gujarati
chinese indian pakistani nigerian ghanaian muslim christian hindu jewish sikh black white
tv covid gp nhs uk a&e ceo ok'd app internet zoom teams whatsapp facebook google
first second third next last then now when where why how what who which because but and
or if also still even never always sometimes often usually again before after during
here there this that these those it its he she we they you me him her us them my your our
their his hers mine yours ours theirs one two three four five six seven eight nine ten
everything everyone everybody nothing nobody something someone somebody anything anyone
all some many much more most less least few lot lots other another each every both either
thing things time times day days week weeks month months year years morning afternoon
evening night today tomorrow yesterday home house flat room school nursery work job
group groups session sessions service services team therapy therapist health visitor
hospital clinic centre center council office social worker workers staff people person
man woman men women mums dads love hope trust help support care
yeah-yeah no-no absolutely exactly totally completely quite very too rather pretty
know think feel felt said says say told tell asked ask went go going gone come came coming
get got getting make made making take took taking see saw seen look looked looking want
wanted need needed try tried trying give gave given find found keep kept let put
start started stop stopped remember forgot understand understood mean meant guess
suppose hear heard call called talk talked talking speak spoke wait waited leave left
because cause 'cause cos till until since though although while whilst whether
definitely probably certainly really truly
interviewer participant stakeholder stakeholders commissioner practitioner member members
manager midwife midwives psychologist psychotherapist psychotherapy programme
we're you're they're it's that's there's here's what's who's he's she's let's don't doesn't
didn't can't couldn't won't wouldn't shouldn't isn't aren't wasn't weren't haven't hasn't
hadn't we've you've they've we'd you'd they'd he'd she'd we'll you'll they'll he'll she'll
""".split()


def main() -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    from spacy.lang.en.stop_words import STOP_WORDS

    words = {w.lower() for w in ENGLISH_STOP_WORDS} | {w.lower() for w in STOP_WORDS}
    words |= {w.lower() for w in EVERYDAY}
    target = Path(__file__).resolve().parents[1] / "qualkit" / "reports" / "common_words.txt"
    target.write_text("\n".join(sorted(words)) + "\n", encoding="utf-8")
    print(f"{len(words)} words written to {target}")


if __name__ == "__main__":
    main()
