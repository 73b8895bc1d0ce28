"""Who stays put when the job does not say: the one whose prompt stands, waits or sits, and goes nowhere.

Partners of a contact meet halfway unless one of them `stays` (coupling.py).
A job can say so per character; when it does not, the prompt decides. Every
track's text is read for words of staying (stands, waits, sits, kneels, "in
place") and of going (walks, runs, steps, comes, approaches, moves, turns
around, ...): only a prompt with a word of staying and none of going makes
the character stay ("a person stands still", "a person sits and waits");
"a person stands up and walks over", or a prompt with neither ("a person
waves"), leaves it meeting halfway, as before. The words, not the model's
motion, decide: the model's own "a person stands still" drifts 0.3-0.8 m in
6 s, about as far as "a person walks forward and shakes hands" walks, so a
probe of the sampled motion misjudged the handshake both ways.
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


def stays_by_prompt(texts: list[str]) -> bool:
    """True when the texts (a character's tracks) say it stays where it is and nothing of going anywhere."""
    words = [" ".join(t.lower().split()) for t in texts]
    return any(STAYING.search(w) for w in words) and not any(GOING.search(w) for w in words)
