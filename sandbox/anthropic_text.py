"""What the sandbox's Claude writes: a post drafted from a business's profile, or a rewrite of the
text it was given. Deterministic (the same prompt, the same answer, so tests can rely on it) yet
varied: the wording is picked by a hash of the brief (the business, the day the post goes out, the
suggested angle), so a week's drafts across a group read differently, and a rewrite changes what
it was asked to change while keeping the text's facts.

The sandbox reads the prompt as a model would, by its `Label: value` lines ("Business name",
"City", "Website", "Services", "About", "Tone", "Post goes out", "Suggested angle", "Change
wanted") and a "Current text ...:" line followed by the text to rewrite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

URL_RE = re.compile(r"https?://[^\s\"'<>)\]]+")
FIELD_RE = r"^\W*(?:{names})\W*[:=][ \t]*(.+)$"
CURRENT_RE = re.compile(r"^\W*(?:current|original|existing) text[^:\n]*:[ \t]*\n(.+)", re.I | re.M | re.S)
NOT_GIVEN = re.compile(r"^\(.*\)$")  # "(not given)", "(none: ...)"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MAX_CHARS = 1500  # Google's limit on a post's text
MONTHS = [dt.date(2026, month, 1).strftime("%B").lower() for month in range(1, 13)]
SEASONS = ["winter"] * 2 + ["spring"] * 3 + ["summer"] * 3 + ["autumn"] * 3 + ["winter"]


@dataclass
class PromptFacts:
    business: str
    city: str
    url: str  # the business's website, "" when it has none
    topic: str  # the first service, or a "topic"/"theme" the prompt names
    services: list[str] = field(default_factory=list)
    about: str = ""
    angle: str = ""
    day: str = ""  # "Monday 7 December 2026"
    change: str = ""  # what a rewrite is asked to do
    current: str = ""  # the text to rewrite ("" for a new post)


def _field(prompt: str, *names: str) -> str:
    match = re.search(FIELD_RE.format(names="|".join(names)), prompt, re.IGNORECASE | re.MULTILINE)
    value = match.group(1).strip().strip("\"'") if match else ""
    return "" if NOT_GIVEN.match(value) else value.rstrip(".")


def facts(prompt: str, *, current: str = "") -> PromptFacts:
    """What the prompt says about the business and the task; `current`: the text to rewrite."""
    business = _field(prompt, "business name", "business", "franchise", "company", "name")
    if not business:
        caps = re.findall(r"\b(?:[A-Z][a-z']+\s){1,3}[A-Z][a-z']+\b", prompt)
        business = caps[0] if caps else "our team"
    website = _field(prompt, "website", "url", "site")
    url_match = URL_RE.search(website) or (None if website else URL_RE.search(prompt))
    services = [s.strip() for s in _field(prompt, "services", "service").split(",") if s.strip()]
    topic = services[0] if services else _field(prompt, "topic", "theme")
    return PromptFacts(
        business=business[:80],
        city=_field(prompt, "city", "location")[:60],
        url=url_match.group(0).rstrip(".,;") if url_match else "",
        topic=topic[:80],
        services=[s[:80] for s in services],
        about=_field(prompt, "about", "description")[:400],
        angle=_field(prompt, "suggested angle", "angle"),
        day=_field(prompt, "post goes out", "date"),
        change=_field(prompt, "change wanted", "change", "instruction"),
        current=current.strip(),
    )


def current_text(user_messages: list[str]) -> str:
    """The text a request asks to rewrite: what follows a "Current text ...:" line in the first
    user message that has one."""
    for text in user_messages:
        if match := CURRENT_RE.search(text):
            return match.group(1)
    return ""


def post_text(f: PromptFacts) -> str:
    """A rewrite of `f.current` as `f.change` asks, or else a new post from the profile."""
    if f.current:
        return _clipped(_rewrite(f))
    return _clipped(_draft(f, _kind_of_angle(f.angle) or KINDS[_seed(f.business, f.day) % len(KINDS)]))


# --- a new post -------------------------------------------------------------------------------------

# What each kind of post opens with and says; {where} is " in <city>" or "", {service} a service in
# lower case. Picked by the angle the request suggests, the wording by the brief's hash.
DRAFTS: dict[str, tuple[str, ...]] = {
    "service": (
        "{Service} is the work we are proudest of at {business}. {about}If it is on your list this "
        "{season}, we would be glad to take care of it for you.",
        "Ask anyone who has tried the {service} at {business}{where}: it is done properly, start to "
        "finish. {about}Tell us what you need and we will tell you honestly what it takes.",
    ),
    "season": (
        "{Season} tip from {business}: {month} is a good time to think about {service}. A little "
        "planning now saves a rush later. {about}",
        "With {season} here{where}, now is a good moment to plan your {service} with {business}. "
        "{about}We are booking the coming weeks already.",
    ),
    "craft": (
        "What makes {business} different? We take the time to get {service} right, and we explain "
        "what we do as we go. {about}",
        "At {business} we would rather do one thing well than three in a hurry. That is how we "
        "approach {service}, and {other} too. {about}",
    ),
    "question": (
        "A question we hear a lot at {business}{where}: how do I get the most out of {service}? Our "
        "answer is simple: tell us what you need, and we will suggest what fits. {about}",
        "People often ask {business} whether {service} and {other} go together. Usually, yes, and it "
        "saves you a trip. {about}",
    ),
    "visit": (
        "This {weekday} is a good day to come and see us at {business}{where}. Bring your questions "
        "about {service}; we will have time for them. {about}",
        "Have you been meaning to look into {service}? Stop by {business} this week and we will walk "
        "you through it. {about}",
    ),
    "local": (
        "We have been part of {city_or_area} for years, and {business} is proud to serve our "
        "neighbours with {service}. {about}",
        "From our street to yours: {business} is busy{where} every week, and {service} keeps us on "
        "our toes this {season}. {about}",
    ),
    "behind": (
        "A typical {weekday} at {business} starts early: everything checked, the day's {service} "
        "planned, and a coffee before the doors open. {about}",
        "Behind the scenes at {business}: before any {service} we look, listen and plan, so there "
        "are no surprises later. {about}",
    ),
}
KINDS = list(DRAFTS)
ANGLE_WORDS = {  # words of a suggested angle, and the kind of post they ask for
    "proud": "service",
    "seasonal": "season",
    "different": "craft",
    "question": "question",
    "invitation": "visit",
    "neighbourhood": "local",
    "behind the scenes": "behind",
}


def _seed(*parts: str) -> int:
    return int(hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12], 16)


def _kind_of_angle(angle: str) -> str:
    angle = angle.lower()
    return next((kind for word, kind in ANGLE_WORDS.items() if word in angle), "")


def _day_parts(day: str) -> tuple[str, str]:
    """(weekday, month) named in "Monday 7 December 2026"; ("week", "this month") if none."""
    words = day.lower().split()
    weekday = words[0] if words and words[0].endswith("day") else "week"
    month = next((word for word in words if word in MONTHS), "")
    return weekday, month


def _draft(f: PromptFacts, kind: str) -> str:
    seed = _seed(f.business, f.day, f.angle, kind, ",".join(f.services))
    services = f.services or ([f.topic] if f.topic else ["what we do"])
    service = services[seed % len(services)]
    other = services[(seed // 7 + 1) % len(services)] if len(services) > 1 else "the rest"
    weekday, month = _day_parts(f.day)
    season = SEASONS[MONTHS.index(month)] if month else "season"
    about = _first_sentence(f.about)
    template = DRAFTS[kind][seed % len(DRAFTS[kind])]
    text = template.format(
        business=f.business,
        where=f" in {f.city}" if f.city and f.city.lower() not in f.business.lower() else "",
        city_or_area=f.city or "the area",
        service=service.lower(),
        Service=service[:1].upper() + service[1:],
        other=other.lower(),
        about=f"{about} " if about else "",
        season=season,
        Season=season.capitalize(),
        month=month.capitalize() or "this month",
        weekday=weekday.capitalize() if weekday != "week" else "week",
    )
    if f.url:
        text = f"{text.rstrip()} See more at {f.url}."
    return " ".join(text.split())


def _first_sentence(text: str) -> str:
    """The profile's first sentence, said by the business: "A family bakery." reads "We are a
    family bakery."."""
    first = SENTENCE_END.split(text.strip(), maxsplit=1)[0] if text.strip() else ""
    if re.match(r"(?:a|an) ", first, re.I):
        first = "We are " + first[:1].lower() + first[1:]
    return first if first.endswith((".", "!", "?")) or not first else first + "."


# --- a rewrite ----------------------------------------------------------------------------------------

CONTRACTIONS = {
    "we are": "we're",
    "you are": "you're",
    "it is": "it's",
    "do not": "don't",
    "does not": "doesn't",
    "cannot": "can't",
    "we will": "we'll",
    "you will": "you'll",
    "we would": "we'd",
    "that is": "that's",
}
GREETINGS = ("Hi neighbours!", "Hello{where}!", "Good news, friends!")
WARM_CLOSERS = ("We'd love to see you soon!", "Come say hello, we'd be glad to see you.")
OPENERS = ("Fresh from {business}: ", "News from {business}{where}: ", "A quick word from all of us at {business}: ")
FRESHER = {"great": "excellent", "come by": "stop by", "help": "lend a hand", "today": "this very day"}
CALL_WORDS = re.compile(r"https?://|\b(visit|book|call|order|stop by|drop by|come|sign up|see more)\b", re.I)
GREETING_RE = re.compile(r"^(hi|hello|hey|good news)\b[^.!?]*[!,.]\s*", re.I)
EMOJI_RE = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]\ufe0f?")


def _rewrite(f: PromptFacts) -> str:
    change = f.change.lower()
    seed = _seed(f.current, change)
    if "half" in change or "short" in change:
        return _shorter(f.current)
    if "warm" in change or "friendl" in change:
        return _friendlier(f, seed)
    if "formal" in change:
        return _formal(f.current)
    if "different post" in change or "angle" in change:
        # Another kind of post than the text looks like, for the same business.
        taken = _kind_of_angle(f.angle)
        kinds = [kind for kind in KINDS if kind != taken]
        return _draft(f, kinds[seed % len(kinds)])
    return _fresher(f, seed)


def _sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(" ".join(text.split())) if s]


def _where(f: PromptFacts) -> str:
    return f" in {f.city}" if f.city and f.city.lower() not in f.business.lower() else ""


def _fresher(f: PromptFacts, seed: int) -> str:
    """Same facts, a new opening and fresher words."""
    sentences = _sentences(f.current)
    if len(sentences) >= 3:
        sentences[1], sentences[2] = sentences[2], sentences[1]
    text = " ".join(sentences)
    for plain, fresh in FRESHER.items():
        text = re.sub(rf"\b{plain}\b", fresh, text)
    opener = OPENERS[seed % len(OPENERS)].format(business=f.business, where=_where(f))
    return opener + _lower_first(GREETING_RE.sub("", text))


def _shorter(text: str) -> str:
    """About half as long: the first sentences, and the one that says what to do."""
    sentences = _sentences(text)
    target = len(" ".join(sentences)) // 2
    kept = [sentences[0]]
    for sentence in sentences[1:]:
        if len(" ".join([*kept, sentence])) > target:
            break
        kept.append(sentence)
    call = next((s for s in reversed(sentences) if CALL_WORDS.search(s)), None)
    if call and call not in kept and len(sentences) > 2:
        kept.append(call)
    short = " ".join(kept)
    if len(short) >= len(" ".join(sentences)):  # one sentence: keep its first clause
        clause = re.split(r"[,;:\u2014-]\s", short, maxsplit=1)[0].rstrip(".!?")
        words = clause.split()
        short = " ".join(words[: max(3, len(words) // 2)]) + "."
    return short


def _friendlier(f: PromptFacts, seed: int) -> str:
    text = GREETING_RE.sub("", " ".join(f.current.split()))
    for plain, short in CONTRACTIONS.items():
        text = re.sub(rf"\b{plain}\b", short, text)
        text = re.sub(rf"\b{plain.capitalize()}\b", short.capitalize(), text)
    greeting = GREETINGS[seed % len(GREETINGS)].format(where=f" {f.city}" if f.city else "")
    closer = WARM_CLOSERS[seed % len(WARM_CLOSERS)]
    return f"{greeting} {text}" + ("" if closer.lower() in text.lower() else f" {closer}")


def _formal(text: str) -> str:
    text = EMOJI_RE.sub("", GREETING_RE.sub("", " ".join(text.split())))
    for plain, short in CONTRACTIONS.items():
        text = re.sub(rf"\b{short}\b", plain, text)
        text = re.sub(rf"\b{short.capitalize()}\b", plain.capitalize(), text)
    text = re.sub(r"!+", ".", text)
    text = _upper_first(" ".join(text.split()))
    closer = "We look forward to serving you."
    return text if closer.lower() in text.lower() else f"{text} {closer}"


def _lower_first(text: str) -> str:
    # Not a name or "I": only a plain capitalised first word is lowered.
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if first.istitle() and first.lower() in COMMON_OPENING_WORDS else text


COMMON_OPENING_WORDS = {"we", "our", "this", "the", "it", "there", "come", "join", "now", "a", "every", "with"}


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clipped(text: str) -> str:
    """At most MAX_CHARS, cut at a sentence's end."""
    if len(text) <= MAX_CHARS:
        return text
    cut = text[:MAX_CHARS]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > 0 else cut
