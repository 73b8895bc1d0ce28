"""Natural-language captions from the corpora's content x style labels.

Templates and synonyms live here, in code. Two disjoint vocabularies:
`training` captions (used to train) and `heldout` captions (templates and
synonyms never seen in training) to measure how the model handles new wording.
"""

from __future__ import annotations

import random

# content label -> (training verb phrases, held-out verb phrases); third person present.
CONTENTS: dict[str, tuple[list[str], list[str]]] = {
    "walk": (["walks forward", "walks", "walks straight ahead", "takes a walk forward"],
             ["strolls ahead", "goes forward on foot"]),
    "run": (["runs forward", "runs", "jogs ahead", "runs straight ahead"],
            ["moves ahead at a running pace"]),
    "dash": (["dashes forward", "sprints", "runs very fast", "sprints straight ahead"],
             ["bolts forward at full speed"]),
    "walk-back": (["walks backwards", "steps backward", "walks backward slowly"],
                  ["retreats on foot, facing forward"]),
    "walk-left": (["walks to the left", "sidesteps to the left", "steps sideways to the left"],
                  ["shuffles sideways toward the left"]),
    "walk-right": (["walks to the right", "sidesteps to the right", "steps sideways to the right"],
                   ["shuffles sideways toward the right"]),
    "walk-turn-left": (["walks and turns left", "walks forward then turns to the left", "turns left while walking"],
                       ["curves to the left on foot"]),
    "walk-turn-right": (["walks and turns right", "walks forward then turns to the right", "turns right while walking"],
                        ["curves to the right on foot"]),
    "bow": (["bows", "takes a bow", "bows politely", "bends forward in a bow"],
            ["dips the upper body to greet someone"]),
    "bye": (["waves goodbye", "says goodbye with a wave of the hand"],
            ["bids farewell with a hand gesture"]),
    "byebye": (["waves goodbye with big waves", "waves bye-bye"],
               ["signals farewell with sweeping hand motions"]),
    "guide": (["gestures to show the way", "guides someone with the arm", "points the way with an open hand"],
              ["directs a visitor with an arm gesture"]),
    "respond": (["responds with a gesture", "answers someone with a nod", "reacts to someone"],
                ["replies with body language"]),
    "call": (["calls someone over", "beckons someone to come", "calls out and waves someone over"],
             ["summons a friend with a gesture"]),
    "punch": (["punches", "throws a punch", "punches forward with the fist"],
              ["strikes with a closed hand"]),
    "kick": (["kicks", "kicks with the leg", "does a kick"],
             ["strikes out with the foot"]),
    "slash": (["slashes with a sword", "swings a sword", "makes a sword slash"],
              ["cuts through the air with a blade"]),
    "dance-long": (["dances", "performs a long dance", "dances energetically"],
                   ["grooves to the music for a while"]),
    "dance-short": (["dances briefly", "does a short dance", "dances for a moment"],
                    ["busts a quick dance move"]),
    "wave-both-hands": (["waves both hands", "waves with both hands", "waves both arms in greeting"],
                        ["greets someone with two raised, waving hands"]),
    "wave-left-hand": (["waves the left hand", "waves with the left hand", "waves hello with the left hand"],
                       ["greets someone by waving the left arm"]),
    "wave-right-hand": (["waves the right hand", "waves with the right hand", "waves hello with the right hand"],
                        ["greets someone by waving the right arm"]),
    "raise-up-both-hands": (["raises both hands", "raises both hands up", "lifts both arms above the head"],
                            ["puts both arms up in the air"]),
    "raise-up-left-hand": (["raises the left hand", "raises the left hand up", "lifts the left arm up"],
                           ["puts the left arm up in the air"]),
    "raise-up-right-hand": (["raises the right hand", "raises the right hand up", "lifts the right arm up"],
                            ["puts the right arm up in the air"]),
}  # fmt: skip

# DeepMimic clips (engine/training/deepmimic.py); "walk", "run", "kick", "punch" and "dance-short" reuse the
# entries above.
CONTENTS |= {
    "jog": (["jogs forward", "jogs", "jogs at an easy pace", "runs at a slow, steady pace"],
            ["trots ahead at a relaxed speed"]),
    "jump": (["jumps forward", "jumps", "leaps forward with both feet", "does a jump"],
             ["hops ahead, taking off from both feet"]),
    "backflip": (["does a backflip", "flips backwards", "does a back somersault"],
                 ["somersaults backward through the air"]),
    "sideflip": (["does a side flip", "flips sideways", "does a sideways somersault"],
                 ["somersaults to the side in mid-air"]),
    "cartwheel": (["does a cartwheel", "turns a cartwheel", "cartwheels sideways"],
                  ["wheels sideways over the hands"]),
    "crawl": (["crawls forward", "crawls on hands and knees", "crawls along the floor"],
              ["creeps forward on all fours"]),
    "dance-spin": (["dances and spins around", "does a spinning dance move", "spins around while dancing"],
                   ["twirls as part of a dance"]),
    "get-up-face-down": (["gets up from lying face down", "stands up after lying on the stomach",
                          "pushes up off the floor and stands up"],
                         ["rises to the feet from a prone position"]),
    "get-up-face-up": (["gets up from lying on the back", "stands up after lying face up",
                        "sits up and gets to the feet"],
                       ["rises to the feet from a supine position"]),
    "stand": (["stands still", "stands in place", "stands idle", "stands and waits", "is standing still"],
              ["remains upright without moving"]),  # idle stretches cut from other clips (training/idle.py)
    "roll": (["does a forward roll", "rolls forward on the ground", "tucks and rolls forward"],
             ["tumbles head over heels along the floor"]),
    "spin": (["spins around", "turns around on the spot", "spins in a full circle"],
             ["pirouettes in place"]),
    "spin-kick": (["does a spinning kick", "spins and kicks", "does a roundhouse kick"],
                  ["whirls around and strikes with the foot"]),
    "stealthy-walk": (["sneaks forward", "walks stealthily", "tiptoes forward quietly"],
                      ["creeps ahead without making a sound"]),
    "zombie-walk": (["walks like a zombie", "shambles forward like a zombie", "staggers forward with arms outstretched"],
                    ["lurches ahead like the undead"]),
    "walk-around": (["walks around", "walks around in different directions", "wanders around"],
                    ["strolls about, changing direction"]),
    "punch-left": (["punches to the left", "throws a punch to the left side", "punches toward the left"],
                   ["strikes with a fist toward the left"]),
    "punch-right": (["punches to the right", "throws a punch to the right side", "punches toward the right"],
                    ["strikes with a fist toward the right"]),
    "run-turn-left": (["runs and turns left", "runs in a curve to the left", "turns left while running"],
                      ["sprints around a bend to the left"]),
    "run-turn-right": (["runs and turns right", "runs in a curve to the right", "turns right while running"],
                       ["sprints around a bend to the right"]),
}  # fmt: skip

# style label -> (training adjectives, training adverbs, held-out adjectives, held-out adverbs).
# Label jargon turned into plain English: chimpira -> swaggering, thuggish; giant -> huge, lumbering.
STYLES: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "normal": ([""], [""], [""], [""]),
    "happy": (["happy", "cheerful"], ["happily", "cheerfully"], ["joyful"], ["joyfully"]),
    "sad": (["sad", "unhappy"], ["sadly", "gloomily"], ["sorrowful"], ["sorrowfully"]),
    "angry": (["angry", "furious"], ["angrily", "furiously"], ["irritated"], ["irritably"]),
    "proud": (["proud", "confident"], ["proudly", "confidently"], ["haughty"], ["haughtily"]),
    "not-confident": (["timid", "shy"], ["timidly", "shyly"], ["insecure"], ["hesitantly"]),
    "masculinity": (["masculine", "manly"], ["in a masculine way", "in a manly way"], ["macho"], ["macho-style"]),
    "masculine": (["masculine", "manly"], ["in a masculine way", "in a manly way"], ["macho"], ["macho-style"]),
    "feminine": (["feminine", "graceful"], ["in a feminine way", "gracefully"], ["ladylike"], ["elegantly"]),
    "childish": (["childish", "playful"], ["childishly", "playfully"], ["kid-like"], ["like a little kid"]),
    "old": (["old", "elderly"], ["slowly like an old person", "stiffly"], ["aged"], ["frailly"]),
    "elderly": (["elderly", "old"], ["slowly like an old person", "stiffly"], ["aged"], ["frailly"]),
    "tired": (["tired", "exhausted"], ["wearily", "tiredly"], ["worn-out"], ["sluggishly"]),
    "exhausted": (["exhausted", "tired"], ["wearily", "with exhaustion"], ["worn-out"], ["sluggishly"]),
    "active": (["energetic", "lively"], ["energetically", "briskly"], ["vigorous"], ["vigorously"]),
    "youthful": (["young", "youthful"], ["youthfully", "with a spring in the step"], ["spry"], ["sprightly"]),
    "musical": (["rhythmic", "musical"], ["rhythmically", "like in a musical"], ["theatrical"], ["theatrically"]),
    "giant": (["huge", "lumbering"], ["heavily like a giant", "ponderously"], ["colossal"], ["clumsily like a big ogre"]),
    "chimpira": (["swaggering", "thuggish"], ["with a swagger", "like a street thug"], ["cocky"], ["like a hoodlum"]),
}  # fmt: skip

SUBJECTS = ["a person", "someone", "a character", "the person"]
HELDOUT_SUBJECTS = ["this figure", "an individual"]

# {s} subject, {a} adjective (with article handled), {v} verb phrase, {d} adverb
TRAIN_TEMPLATES = ["{s} {v}", "{s} {v} {d}", "{A} person {v}", "{A} person {v} {d}", "{s} {d} {v}"]
HELDOUT_TEMPLATES = ["{s} {v}", "{s} {v}, looking {a}", "we see {s} that {v} {d}", "in a {a} mood, {s} {v}"]

MIRRORED_CONTENT = {
    "walk-left": "walk-right", "walk-right": "walk-left",
    "walk-turn-left": "walk-turn-right", "walk-turn-right": "walk-turn-left",
    "wave-left-hand": "wave-right-hand", "wave-right-hand": "wave-left-hand",
    "raise-up-left-hand": "raise-up-right-hand", "raise-up-right-hand": "raise-up-left-hand",
    "punch-left": "punch-right", "punch-right": "punch-left",
    "run-turn-left": "run-turn-right", "run-turn-right": "run-turn-left",
}  # fmt: skip


def mirror_content(content: str) -> str:
    """The content label of the left/right mirror image of a clip."""
    return MIRRORED_CONTENT.get(content, content)


def _article(adj: str) -> str:
    return ("An " if adj[:1].lower() in "aeiou" else "A ") + adj if adj else "A"


def _fill(template: str, subject: str, adj: str, verb: str, adverb: str) -> str:
    text = template.format(s=subject, v=verb, d=adverb, a=adj, A=_article(adj))
    if not adverb and "{d}" in template or not adj and "{a}" in template:
        return ""
    text = " ".join(text.split()).replace(" ,", ",")
    return text[0].lower() + text[1:]


def _captions(content: str, style: str, heldout: bool) -> list[str]:
    if content not in CONTENTS:
        raise KeyError(f"no captions for content label {content!r}")
    if style not in STYLES:
        raise KeyError(f"no captions for style label {style!r}")
    verbs = CONTENTS[content][1 if heldout else 0]
    adjs, advs = STYLES[style][2:4] if heldout else STYLES[style][0:2]
    templates = HELDOUT_TEMPLATES if heldout else TRAIN_TEMPLATES
    subjects = HELDOUT_SUBJECTS if heldout else SUBJECTS
    out = []
    for t in templates:
        for v in verbs:
            for a, d in zip(adjs, advs, strict=True):
                for s in subjects:
                    text = _fill(t, s, a, v, d)
                    if text and text not in out:
                        out.append(text)
    return out


def training_captions(content: str, style: str) -> list[str]:
    """All training phrasings for a label pair (dozens; sample one per step)."""
    return _captions(content, style, heldout=False)


def heldout_captions(content: str, style: str) -> list[str]:
    """Phrasings built only from held-out templates and synonyms."""
    return _captions(content, style, heldout=True)


def canonical_caption(content: str, style: str) -> str:
    """The plainest training caption, e.g. 'a tired person walks forward'."""
    verb = CONTENTS[content][0][0]
    adj = STYLES[style][0][0]
    return _fill("{A} person {v}", "", adj, verb, "")


def sample_caption(content: str, style: str, rng: random.Random) -> str:
    return rng.choice(training_captions(content, style))
