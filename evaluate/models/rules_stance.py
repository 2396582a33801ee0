"""``rules-stance``: holder -> target stances from a cue lexicon and the nearest mentions.

Training-free. For each sentence of the text (:func:`sentence_spans`):

1. **Mentions**: the document's entities when it has some (gold or predicted), else those of
   an entity model given as ``rules-stance:PATH`` (a folder written by ``goldwire evaluate
   train``, e.g. a gazetteer), else capitalised phrases (:func:`find_mentions`).
2. **Cues** (:data:`CUES`): English and a few Russian verbs and phrases with a polarity,
   ``supports``, ``backs``, ``ready to help``, ``for the sake of`` (SUPPORT); ``condemns``,
   ``accuses``, ``criticises``, ``withdrawal from`` (OPPOSE); and mutual cues, ``conflict
   between X and Y`` (OPPOSE both ways). A negation just before a cue (``did not support``)
   turns SUPPORT into OPPOSE and drops an OPPOSE cue.
3. **Holder**: the first mention of the cue's clause (from the last comma, semicolon, colon
   or quotation mark before the cue; mentions before a speech verb in that clause are
   skipped: in "X said Y backs Z" the holder is Y); in the passive (``was criticised by X``)
   the mention after ``by``. Without one, the sentence's speaker (``X said``, ``said X``,
   ``according to X``); without one, the article itself: its agency mention (the entity that
   reads as ``doc.agency``, ``TASS`` in ``/TASS/``) or, when the agency is not mentioned, the
   agency's name alone.
4. **Target**: the first mention after the cue within :attr:`RulesStance.window` tokens that
   is neither the holder nor the agency (in the passive, the clause's first mention).

Predicted endpoints are spans of the text (no entity ids, so no gold entity leaks into the
predictions); the article holder without an agency mention is a name only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goldwire.evaluate.models.base import Model, Task, prediction
from goldwire.evaluate.stance import normalize_name
from goldwire.schema import Document, Mention, Stance
from goldwire.tokenize import tokenize

SUPPORT, OPPOSE = "SUPPORT", "OPPOSE"
DIRECTED, MUTUAL = "directed", "mutual"

# (regular expression, label, kind); longer phrases first where they share a start
CUES: tuple[tuple[str, str, str], ...] = (
    # mutual: "conflict between X and Y"
    (
        r"(?:conflict|war|clash(?:es)?|fighting|tensions?|dispute|hostilities|standoff|"
        r"confrontation|rivalry|feud)\s+between",
        OPPOSE,
        MUTUAL,
    ),
    (r"(?:конфликт\w*|войн\w*|противостояни\w*|спор\w*)\s+между", OPPOSE, MUTUAL),
    # English, SUPPORT
    (
        r"(?:(?:is|are|was|were|stands?|stood|remains?)\s+)?(?:fully\s+)?"
        r"(?:ready|willing|prepared)\s+to\s+(?:help|assist|support|defend|protect|aid)",
        SUPPORT,
        DIRECTED,
    ),
    (
        r"(?:pledg|vow|promis|offer)(?:e|es|ed|ing|s)?\s+to\s+(?:help|assist|support|defend|"
        r"protect|aid)",
        SUPPORT,
        DIRECTED,
    ),
    (
        r"(?:expressed|voiced|declared|reaffirmed|pledged)\s+(?:its\s+|his\s+|her\s+|their\s+)?"
        r"(?:support|solidarity)\s+(?:for|with)",
        SUPPORT,
        DIRECTED,
    ),
    (r"(?:support|solidarity|sympathy)\s+(?:for|with)", SUPPORT, DIRECTED),
    (r"in\s+(?:support|defen[cs]e)\s+of", SUPPORT, DIRECTED),
    (r"for\s+the\s+sake\s+of", SUPPORT, DIRECTED),
    (r"sid(?:e|es|ed|ing)\s+with", SUPPORT, DIRECTED),
    (r"st(?:and|ands|ood|anding)\s+(?:with|by|behind)", SUPPORT, DIRECTED),
    (r"(?:allied|aligned)\s+with", SUPPORT, DIRECTED),
    (r"agree(?:s|d)?\s+with", SUPPORT, DIRECTED),
    (r"vot(?:e|es|ed|ing)\s+for", SUPPORT, DIRECTED),
    (r"support(?:s|ed|ing)?", SUPPORT, DIRECTED),
    (
        r"back(?:s|ed|ing)?(?!\s+(?:to|in|into|from|down|up|off|on|home|away|out)\b)",
        SUPPORT,
        DIRECTED,
    ),
    (r"endors(?:e|es|ed|ing)", SUPPORT, DIRECTED),
    (r"prais(?:e|es|ed|ing)", SUPPORT, DIRECTED),
    (r"welcom(?:e|es|ed|ing)", SUPPORT, DIRECTED),
    (r"help(?:s|ed|ing)?", SUPPORT, DIRECTED),
    (r"assist(?:s|ed|ing)?", SUPPORT, DIRECTED),
    (r"defend(?:s|ed|ing)?", SUPPORT, DIRECTED),
    (r"protect(?:s|ed|ing)?", SUPPORT, DIRECTED),
    (r"thank(?:s|ed|ing)?", SUPPORT, DIRECTED),
    (r"congratulat(?:e|es|ed|ing)", SUPPORT, DIRECTED),
    (r"applaud(?:s|ed|ing)?", SUPPORT, DIRECTED),
    (r"hail(?:s|ed|ing)?", SUPPORT, DIRECTED),
    # English, OPPOSE
    (r"withdr(?:aw|aws|awing|awn|ew|awal)\s+from", OPPOSE, DIRECTED),
    (r"protest(?:s|ed|ing)?\s+against", OPPOSE, DIRECTED),
    (r"vot(?:e|es|ed|ing)\s+against", OPPOSE, DIRECTED),
    (r"rail(?:s|ed|ing)?\s+against", OPPOSE, DIRECTED),
    (r"lash(?:es|ed|ing)?\s+out\s+at", OPPOSE, DIRECTED),
    (r"clash(?:es|ed|ing)?\s+with", OPPOSE, DIRECTED),
    (r"at\s+odds\s+with", OPPOSE, DIRECTED),
    (r"(?:criticism|condemnation)\s+of", OPPOSE, DIRECTED),
    (r"sanctions?\s+(?:against|on)", OPPOSE, DIRECTED),
    (r"condemn(?:s|ed|ing)?", OPPOSE, DIRECTED),
    (r"accus(?:e|es|ed|ing)", OPPOSE, DIRECTED),
    (r"critici[sz](?:e|es|ed|ing)", OPPOSE, DIRECTED),
    (r"blam(?:e|es|ed|ing)", OPPOSE, DIRECTED),
    (r"denounc(?:e|es|ed|ing)", OPPOSE, DIRECTED),
    (r"slam(?:s|med|ming)?", OPPOSE, DIRECTED),
    (r"attack(?:s|ed|ing)?", OPPOSE, DIRECTED),
    (r"oppos(?:e|es|ed|ing)", OPPOSE, DIRECTED),
    (r"reject(?:s|ed|ing)?", OPPOSE, DIRECTED),
    (r"sanction(?:s|ed|ing)", OPPOSE, DIRECTED),
    (r"threat(?:en|ens|ened|ening)", OPPOSE, DIRECTED),
    (r"warn(?:s|ed|ing)?", OPPOSE, DIRECTED),
    (r"(?:fight(?:s|ing)?|fought)", OPPOSE, DIRECTED),
    (r"lambast(?:s|ed|ing)?", OPPOSE, DIRECTED),
    (r"rebuk(?:e|es|ed|ing)", OPPOSE, DIRECTED),
    (r"blast(?:s|ed|ing)?", OPPOSE, DIRECTED),
    (r"mock(?:s|ed|ing)?", OPPOSE, DIRECTED),
    (r"ridicul(?:e|es|ed|ing)", OPPOSE, DIRECTED),
    (r"insult(?:s|ed|ing)?", OPPOSE, DIRECTED),
    (r"decr(?:y|ies|ied|ying)", OPPOSE, DIRECTED),
    (r"invad(?:e|es|ed|ing)|invasion\s+of", OPPOSE, DIRECTED),
    (r"impeach(?:es|ed|ing)?", OPPOSE, DIRECTED),
    # Russian
    (r"готов\w*\s+(?:помочь|оказать\s+помощь|поддержать|защитить)", SUPPORT, DIRECTED),
    (r"поддерж\w*", SUPPORT, DIRECTED),
    (r"приветству\w*|приветствова\w*", SUPPORT, DIRECTED),
    (r"помога\w*|помог\w*", SUPPORT, DIRECTED),
    (r"выступ\w*\s+против", OPPOSE, DIRECTED),
    (r"осуд\w*|осужда\w*", OPPOSE, DIRECTED),
    (r"обвин\w*", OPPOSE, DIRECTED),
    (r"раскритик\w*|критику\w*|критиков\w*", OPPOSE, DIRECTED),
    (r"санкци\w*\s+против", OPPOSE, DIRECTED),
    (r"угрожа\w*", OPPOSE, DIRECTED),
)
CUE_RE = re.compile(
    "|".join(rf"(?P<c{i}>\b(?:{p})\b)" for i, (p, _, _) in enumerate(CUES)), re.IGNORECASE
)
NEGATION_RE = re.compile(
    r"\b(?:not|never|no\s+longer|refus(?:e|es|ed)\s+to|declin(?:e|es|ed)\s+to|cannot|"
    r"не|отказал\w*)\s+(?:\w+\s+){0,2}$|n['\u2019]t\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
PASSIVE_BEFORE_RE = re.compile(
    r"\b(?:is|are|was|were|be|been|being|get|gets|got)\s+(?:\w+ly\s+)?$", re.IGNORECASE
)
BY_AFTER_RE = re.compile(r"\s*(?:\S+\s+){0,3}?by\s+", re.IGNORECASE)  # used with .match
SPEECH_RE = re.compile(
    r"\b(?:said|says|say|told|tells|stated|states|added|adds|noted|notes|stressed|"
    r"emphasi[sz]ed|declared|announced|claimed|claims|argued|argues|wrote|writes|tweeted|"
    r"insisted|insists|according\s+to|заявил\w*|сказал\w*|отметил\w*|сообщил\w*|"
    r"подчеркнул\w*|по\s+словам)\b",
    re.IGNORECASE,
)
CLAUSE_CHARS = ',;:"\u201c\u201d\u00ab\u00bb'

# ------------------------------------------------------------------ sentences

ABBREVIATIONS = frozenset(
    "mr mrs ms dr st sen rep gov gen lt col sgt jr sr inc corp co ltd vs no jan feb mar apr "
    "aug sept sep oct nov dec prof rev gop u.s u.n u.k e.g i.e etc fig".split()
)
_SENT_END_RE = re.compile(
    r"[.!?]+[\"'\u201d\u2019\u00bb)]*\s+(?=[\"'\u201c\u2018\u00ab(/]?[^\W\d_])"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence: lines, cut after ``.``, ``!`` or ``?`` followed by a
    capital letter (not after an abbreviation such as ``Mr.`` or an initial)."""
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        start = pos
        for m in _SENT_END_RE.finditer(line):
            before = line[: m.start()].rsplit(None, 1)
            word = before[-1].lower().strip("(\"'") if before else ""
            if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
            nxt = line[m.end() : m.end() + 1]
            if not (nxt.isupper() or nxt in "\"'\u201c\u2018\u00ab(/"):
                continue
            out.append((start, pos + m.end()))
            start = pos + m.end()
        if line[start - pos :].strip():
            out.append((start, pos + len(line)))
        pos += len(line) + 1
    return [(a, b) for a, b in (_strip(text, a, b) for a, b in out) if a < b]


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


# ------------------------------------------------------------------ mentions


@dataclass(frozen=True, order=True)
class Span:
    """An entity mention: offsets into the text, its label and surface."""

    start: int
    end: int
    label: str
    text: str

    @property
    def key(self) -> str:
        return normalize_name(self.text)


STOPWORDS = frozenset(
    "the a an in on at of for to from by with and or but if as after before when while since "
    "this that these those it its he she they we i you his her their our my your there here "
    "what which who whom whose where why how all some many most more other such no not "
    "according however meanwhile also yet so then thus still although though because during "
    "under over about last next first new one two three monday tuesday wednesday thursday "
    "friday saturday sunday january february march april may june july august september "
    "october november december".split()
)
TITLES = frozenset(
    "mr mrs ms dr president prime minister sen senator rep representative gov governor "
    "secretary judge justice speaker king queen pope general gen chancellor mayor "
    "ambassador deputy foreign defense defence vice former acting leader majority minority "
    "chairman chairwoman spokesman spokeswoman director commissioner attorney sheriff ceo "
    "candidate nominee lawmaker".split()
)
CONNECTORS = frozenset({"of", "de", "van", "von", "al", "bin", "da", "del", "la", "le"})


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and any(ch.isalpha() for ch in word)


def find_mentions(text: str) -> list[Span]:
    """Capitalised phrases as mentions (label ``MISC``), for texts without entities.

    Runs of capitalised tokens on one line, joined through ``of``/``de``/``van``...; titles
    and what precedes them are dropped (``Senate Majority Leader Harry Reid`` gives ``Harry
    Reid``, ``President Obama`` gives ``Obama``); a
    lone capitalised stop word or month (``The``, ``On``, ``March``) is not a mention.
    """
    tokens = tokenize(text)
    out: list[Span] = []
    i, n = 0, len(tokens)
    while i < n:
        if not _capitalised(tokens[i].text):
            i += 1
            continue
        j = i + 1
        while j < n and "\n" not in text[tokens[j - 1].end : tokens[j].start]:
            word = tokens[j].text
            if _capitalised(word):
                j += 1
            elif word.lower() in CONNECTORS and j + 1 < n and _capitalised(tokens[j + 1].text):
                j += 2
            else:
                break
        run = tokens[i:j]
        titled = [k for k, t in enumerate(run[:-1]) if t.text.lower().rstrip(".") in TITLES]
        if titled:
            run = run[titled[-1] + 1 :]
        while run and (run[0].text == "." or run[0].text.lower() in STOPWORDS):
            run = run[1:]
        if run and not (
            len(run) == 1 and (run[0].text.lower() in STOPWORDS or len(run[0].text) == 1)
        ):
            start, end = run[0].start, run[-1].end
            out.append(Span(start, end, "MISC", text[start:end]))
        i = j
    return out


# ------------------------------------------------------------------ cues and roles


@dataclass(frozen=True)
class CueMatch:
    start: int
    end: int
    label: str
    kind: str
    negated: bool
    passive: bool


def find_cues(text: str, start: int, end: int) -> list[CueMatch]:
    """The cues in ``text[start:end]`` with negation and passive voice marked."""
    out = []
    for m in CUE_RE.finditer(text, start, end):
        _, label, kind = CUES[int(m.lastgroup[1:])]  # type: ignore[index]
        before = text[max(start, m.start() - 40) : m.start()]
        after = text[m.end() : min(end, m.end() + 40)]
        out.append(
            CueMatch(
                m.start(),
                m.end(),
                label,
                kind,
                NEGATION_RE.search(before) is not None,
                PASSIVE_BEFORE_RE.search(before) is not None
                and BY_AFTER_RE.match(after) is not None,
            )
        )
    return out


def speaker(text: str, sentence: tuple[int, int], mentions: Sequence[Span]) -> Span | None:
    """The mention a speech verb attributes the sentence to (``X said``, ``said X``,
    ``according to X``), if any."""
    a, b = sentence
    for m in SPEECH_RE.finditer(text, a, b):
        before = [
            s
            for s in mentions
            if s.end <= m.start()
            and len(text[s.end : m.start()].split()) <= 2
            and not any(c in text[s.end : m.start()] for c in ",;:")
        ]
        if before:
            return before[-1]
        after = [
            s for s in mentions if s.start >= m.end() and len(text[m.end() : s.start].split()) <= 1
        ]
        if after:
            return after[0]
    return None


def clause_start(text: str, sentence_start: int, position: int) -> int:
    """Where the clause holding ``position`` starts (after the last comma, semicolon, colon
    or quotation mark before it, within the sentence)."""
    seg = text[sentence_start:position]
    cut = max(seg.rfind(c) for c in CLAUSE_CHARS)
    return sentence_start + cut + 1 if cut >= 0 else sentence_start


def subject(
    text: str, sentence_start: int, cue_start: int, mentions: Sequence[Span]
) -> Span | None:
    """The first mention of the cue's clause, skipping those before a speech verb there."""
    begin = clause_start(text, sentence_start, cue_start)
    last_speech = None
    for m in SPEECH_RE.finditer(text, begin, cue_start):
        last_speech = m.end()
    if last_speech is not None:
        begin = last_speech
    cands = [s for s in mentions if s.start >= begin and s.end <= cue_start]
    return cands[0] if cands else None


def agency_endpoint(doc: Document, mentions: Sequence[Span]) -> Span | Mention | None:
    """The article as a stance holder: its agency mention, else the agency's name alone."""
    if not doc.agency:
        return None
    key = normalize_name(doc.agency)
    for s in mentions:
        if s.key == key:
            return s
    return Mention(text=doc.agency)


def as_mention(end: Span | Mention) -> Mention:
    if isinstance(end, Mention):
        return end
    return Mention(end.text, end.start, end.end)


def endpoint_key(end: Span | Mention) -> str:
    return normalize_name(end.text)


def document_mentions(doc: Document, ner: Model | None = None) -> list[Span]:
    """The mentions a stance model links: the document's entities, else the entity model's,
    else capitalised phrases."""
    entities = doc.entities
    if not entities and ner is not None:
        entities = ner.predict_document(doc).entities
    if entities:
        return sorted(Span(e.start, e.end, e.label, e.text) for e in entities)
    return find_mentions(doc.text)


def cluster(key: str) -> str:
    """A name's cluster within a document: its last word for names of up to three words
    (``donald trump`` and ``trump`` are one), else the whole name."""
    words = key.split()
    return words[-1] if 0 < len(words) <= 3 else key


def in_span(mentions: Sequence[Span], a: int, b: int) -> list[Span]:
    return [s for s in mentions if s.start >= a and s.end <= b]


# ------------------------------------------------------------------ the model


class RulesStance(Model):
    """Cue lexicon + nearest mentions; the agency holds unattributed stances."""

    name = "rules-stance"
    task = Task.STANCES
    reads = frozenset({"entities"})
    summary = "cue lexicon (EN, some RU) + nearest entity mentions; agency holds the rest"

    def __init__(self, *, ner: Model | None = None, window: int = 12) -> None:
        super().__init__()
        self.ner = ner
        self.window = window

    def config(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "cues": len(CUES),
            "mentions": (
                f"document entities, else {self.ner.name}"
                if self.ner
                else "document entities, else capitalised phrases"
            ),
        }

    @classmethod
    def load(cls, folder: str | Path | None = None) -> RulesStance:
        """``rules-stance:PATH``: the entity model saved in PATH finds the mentions."""
        from goldwire.evaluate.models import load_saved

        return cls(ner=load_saved(folder) if folder is not None else None)

    def predict_document(self, doc: Document) -> Document:
        text = doc.text
        mentions = document_mentions(doc, self.ner)
        agency = agency_endpoint(doc, mentions)
        found: dict[tuple, Stance] = {}

        def add(holder: Span | Mention | None, target: Span | None, label: str) -> None:
            if holder is None or target is None or endpoint_key(holder) == target.key:
                return
            h, t = as_mention(holder), as_mention(target)
            key = (h.start, h.end, h.text, t.start, t.end, label)
            found.setdefault(key, Stance(h, t, label))

        for sent in sentence_spans(text):
            local = in_span(mentions, *sent)
            if not local:
                continue
            for cue in find_cues(text, *sent):
                if cue.kind == MUTUAL:
                    pair = self._between(text, cue, local)
                    if pair is not None:
                        add(pair[0], pair[1], cue.label)
                        add(pair[1], pair[0], cue.label)
                    continue
                label = cue.label
                if cue.negated:
                    if label != SUPPORT:
                        continue
                    label = OPPOSE
                holder, target = self._roles(text, sent, cue, local, agency)
                add(holder, target, label)
        return prediction(doc, stances=list(found.values()))

    def _after(
        self, text: str, position: int, mentions: Sequence[Span], exclude: set[str]
    ) -> Span | None:
        for s in mentions:
            if s.start >= position and s.key not in exclude:
                if len(tokenize(text[position : s.start])) <= self.window:
                    return s
                return None
        return None

    def _roles(
        self,
        text: str,
        sent: tuple[int, int],
        cue: CueMatch,
        local: list[Span],
        agency: Span | Mention | None,
    ) -> tuple[Span | Mention | None, Span | None]:
        agency_key = endpoint_key(agency) if agency is not None else ""
        subj = subject(text, sent[0], cue.start, [s for s in local if s.key != agency_key])
        if cue.passive:
            by = BY_AFTER_RE.match(text, cue.end)
            holder = self._after(text, by.end(), local, {agency_key}) if by else None
            return holder or speaker(text, sent, local) or agency, subj
        holder = subj or speaker(text, sent, local) or agency
        exclude = {agency_key} | ({endpoint_key(holder)} if holder is not None else set())
        return holder, self._after(text, cue.end, local, exclude)

    def _between(self, text: str, cue: CueMatch, local: list[Span]) -> tuple[Span, Span] | None:
        after = [s for s in local if s.start >= cue.end]
        if len(after) < 2 or len(tokenize(text[cue.end : after[0].start])) > 2:
            return None
        if re.fullmatch(r"\s*(?:and|и|&)\s*", text[after[0].end : after[1].start], re.I):
            return after[0], after[1]
        return None
