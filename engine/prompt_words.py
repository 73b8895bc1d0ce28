"""Words in a prompt that say whether a person stays put, goes somewhere or changes posture.

The text encoder knows what the corpus captions say, not what a user means by
"stands still" (no corpus caption says it; the model learned standing from the
clips' still stretches): where a prompt's plain
words decide something, these lists decide it, in one place for the casts'
`stays` (characters/cast.py) and the standing start and end of an idle prompt
(constraints/standing.py).
"""

from __future__ import annotations

import re

STAYING = re.compile(r"\b(stand|stands|standing|stood|wait|waits|waiting|sit|sits|sitting|seated|kneel|kneels|"
                     r"kneeling|idle|idles|idling|remains|stays|in place|on the spot)\b")  # fmt: skip
GOING = re.compile(r"\b(walk|walks|walking|run|runs|running|jog|jogs|jogging|step|steps|stepping|come|comes|coming|"
                   r"go|goes|going|approach|approaches|approaching|move|moves|moving|cross|crosses|crossing|stroll|"
                   r"strolls|march|marches|wander|wanders|pace|paces|pacing|crawl|crawls|hop|hops|jump|jumps|skip|"
                   r"skips|dance|dances|dancing|leave|leaves|follow|follows|chase|chases|towards|toward|forward|"
                   r"forwards|backward|backwards|around|across|over to|away)\b")  # fmt: skip
#: standing upright without going anywhere ("stands up" is getting up, not standing)
STANDING = re.compile(r"\b(stand|stands|standing|stood|idle|idles|idling)\b(?! up\b)")
#: the words of a prompt that says nothing but standing ("a person is standing idle", "someone stands still")
IDLE_WORDS = frozenset("a an the person man woman someone somebody he she they is are just stands stand standing "
                       "still idle idly idling quietly calmly there in place on spot and relaxed waits waiting".split())  # fmt: skip
#: leaving the upright stance: to the floor, onto a seat, into the air or round over
POSTURE_CHANGE = re.compile(r"\b(sit|sits|sitting|sat|seated|kneel|kneels|kneeling|knelt|lie|lies|lying|lay|lays|"
                            r"crouch|crouches|crouching|squat|squats|squatting|fall|falls|falling|fell|down|up|"
                            r"roll|rolls|flip|flips|cartwheel|cartwheels|crawl|crawls|bend|bends|bow|bows)\b")  # fmt: skip


def plain(text: str) -> str:
    """Lower case, single spaces: what the patterns read."""
    return " ".join(text.lower().split())


def stays_put(texts: list[str]) -> bool:
    """True when some text says staying and none says going anywhere: a cast character in a contact then stays
    while its partner comes over ("a person stands still", "a person sits and waits"; not "a person stands up and
    walks over"). The words decide, not the sampled motion: the model's own "a person stands still" drifts
    0.3-0.8 m in 6 s, about as far as "a person walks forward and shakes hands" walks."""
    words = [plain(t) for t in texts]
    return any(STAYING.search(w) for w in words) and not any(GOING.search(w) for w in words)


def stands_idle(texts: list[str]) -> bool:
    """True when some text says standing and none says going or leaving the upright stance."""
    words = [plain(t) for t in texts]
    return any(STANDING.search(w) for w in words) and not any(
        GOING.search(w) or POSTURE_CHANGE.search(w) for w in words
    )


def only_stands(texts: list[str]) -> bool:
    """True when the texts stand idle and say nothing else (every word is one of IDLE_WORDS): "a person stands
    and waves" stands too, but it asks for a wave, which holding the body in place would change."""
    words = [re.findall(r"[a-z]+", plain(t)) for t in texts]
    return stands_idle(texts) and all(w in IDLE_WORDS for ws in words for w in ws)
