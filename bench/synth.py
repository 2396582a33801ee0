"""Synthetic TASS-style wire articles with planted re-issues, for the corpus-build benchmark.

Each article has the layout of ``seeds/articles``: the site crumb ("All news"), the title, the
lead, the dateline paragraph ``CITY, Month Day. /TASS/. ...``, body paragraphs, the lead
repeated as a body paragraph, and a background paragraph last. About 2 KB each.

Vocabulary is varied (slot fillers drawn per sentence from large lists) so that unrelated
articles share few word 5-grams: their Jaccard similarity is a few percent, far below the
near-duplicate threshold of 0.8. Planted duplicates:

* **re-issues** (``near``, about 5%): an earlier article re-issued with an edited headline or a
  changed last paragraph; each one's word 5-gram Jaccard with its original (on the text the
  TASS reader keeps: title, lead, body without the repeated lead) is at least ``MIN_JACCARD``;
* **exact copies** (``exact``, about 0.3%): an earlier article byte for byte.

Generation is deterministic (fixed seed) and prefix-stable: the first k articles of a corpus of
N > k articles are the corpus of k articles. Files are sharded, 1,000 per folder:
``OUT/articles/0000/0000000.txt``; the ground truth goes to ``OUT/truth.json``.

    python bench/synth.py 10000 bench/out/synth-10000
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

SEED = 20240331
GENERATOR_VERSION = 1  # bump when the output changes, so cached corpora are regenerated
SHARD = 1000
NEAR_RATE = 0.05
EXACT_RATE = 0.003
MIN_JACCARD = 0.85
SHINGLE = 5
_WINDOW = 3000  # a re-issue repeats one of the last _WINDOW originals

# --------------------------------------------------------------------------- vocabulary


def _bar(items: str) -> list[str]:
    """A "|"-separated list that may wrap lines."""
    return [item.strip() for item in " ".join(items.split("\n")).split("|")]


FIRST = """Yury Sergey Dmitry Maria Anna Vladimir Ilham Nikol Alexander Olga Pavel Igor Elena
Mikhail Tatyana Andrey Natalia Viktor Irina Oleg Svetlana Konstantin Galina Boris Lyudmila
Roman Valentina Denis Ekaterina Maxim Yulia Nikolai Vera Grigory Daria Anton Ksenia Ruslan
Marat Timur Aigul Nursultan Kassym-Jomart Shavkat Emomali Sadyr Alexei Valery Gennady Ivan
Zhanna Li Wang Zhang Chen Liu Ahmed Mohammed Fatima Ali Hassan Omar Leila Carlos Rosa Jose
Luis Ana Pedro Jean Pierre Marie Claude Hans Klaus Ingrid Giorgio Paolo Lucia Kenji Hiroshi
Yuki Narendra Subrahmanyam Rajesh Recep Mevlut Hakan Abdel Jalil Nabil Samir Ebrahim Hossein
Kim Park Nguyen Tran Joao Fernando Gustavo Ramzan Sergei Rustam Farid Nodir Aziz Zarina""".split()
LAST = """Shuvalov Lavrov Peskov Zakharova Shoigu Novak Siluanov Nabiullina Manturov Reshetnikov
Kozak Volodin Matviyenko Mishustin Belousov Patrushev Naryshkin Bortnikov Kolokoltsev Chemezov
Sechin Miller Gref Kostin Dvorkovich Rudenko Galuzin Ryabkov Grushko Pankin Nebenzya Ulyanov
Polyanskiy Kuznetsov Smirnov Ivanov Popov Sokolov Lebedev Kozlov Novikov Morozov Petrov Volkov
Solovyov Vasilyev Zaitsev Pavlov Semyonov Golubev Vinogradov Bogdanov Vorobyov Fyodorov
Mikhailov Belyaev Tarasov Belov Komarov Orlov Kiselyov Makarov Andreyev Kovalyov Ilyin Gusev
Titov Kuzmin Kudryavtsev Baranov Kulikov Alexeyev Stepanov Yakovlev Sorokin Sergeyev
Romanov Zakharov Borisov Korolyov Gerasimov Ponomaryov Grigoryev Lazarev Medvedev Yershov
Nikitin Sobolev Ryabov Polyakov Tsvetkov Danilov Zhukov Frolov Zhuravlyov Nikolayev Krylov
Maximov Sidorov Osipov Belousova Fedotov Dorofeyev Yegorov Matveyev Bobrov Dmitriyev Kalinin
Anisimov Petukhov Antonov Timofeyev Nikiforov Veselov Filippov Markov Bolshakov Sukhanov
Mironov Shiryaev Aliyev Pashinyan Bayramov Mirzoyan Tokayev Mirziyoyev Rahmon Japarov
Lukashenko Karpenko Wang Xi Zhao Huang Erdogan Fidan Cavusoglu Raisi Amir-Abdollahian Modi
Jaishankar Lula Vieira Ramaphosa Pandor Shoukry Safadi Guterres Dujarric Grossi Tedros
Araghchi Pezeshkian Orban Szijjarto Fico Vucic Dodik Dacic Tsikhanouski Bagirov Musayev""".split()
ROLES = _bar(
    """Foreign Minister|Deputy Foreign Minister|Defense Minister|Energy Minister|Finance
Minister|Economic Development Minister|Industry and Trade Minister|Agriculture Minister|
Transport Minister|Health Minister|Deputy Prime Minister|Prime Minister|presidential aide|
presidential spokesman|Kremlin spokesman|Foreign Ministry spokeswoman|ambassador|envoy|
special presidential envoy|deputy chairman|parliament speaker|lower house speaker|senator|
governor|mayor|regional head|secretary general|executive secretary|chief executive|
board chairman|central bank governor|chief of the general staff|security council secretary|
permanent representative|trade representative|press secretary|first deputy head|
department director|committee chairman|commission head|senior lawmaker|deputy head"""
)
ORGS = _bar(
    """CSTO Secretariat|Shanghai Cooperation Organization|BRICS group|Eurasian Economic
Union|Eurasian Development Bank|Collective Security Treaty Organization|UN Security Council|
International Atomic Energy Agency|World Health Organization|OPEC+ alliance|Commonwealth of
Independent States|State Duma|Federation Council|Central Bank|Foreign Ministry|Defense
Ministry|Energy Ministry|Finance Ministry|Emergencies Ministry|Federal Customs Service|
Federal Antimonopoly Service|Russian Railways|Gazprom|Rosneft|Rosatom|Roscosmos|Aeroflot|
Sberbank|VTB Bank|Novatek|Lukoil|Nornickel|Rostec|United Aircraft Corporation|United
Shipbuilding Corporation|Russian Direct Investment Fund|Moscow Exchange|Accounts Chamber|
Investigative Committee|Prosecutor General's Office|Supreme Court|Constitutional Court|
Central Election Commission|Russian Academy of Sciences|Federal Tourism Agency|Rosstat|
Rosaviatsia|Rospotrebnadzor|Rosselkhoznadzor|Rosgvardia|FIFA|UEFA|International Olympic
Committee|African Union|Arab League|ASEAN|European Commission|European Parliament|NATO|
G20|Group of Seven|World Trade Organization|International Monetary Fund|World Bank|
New Development Bank|Asian Infrastructure Investment Bank|Red Cross|UNESCO|UNICEF"""
)
COUNTRIES = _bar(
    """Russia|China|India|Armenia|Azerbaijan|Kazakhstan|Uzbekistan|Kyrgyzstan|
Tajikistan|Turkmenistan|Belarus|Georgia|Moldova|Turkey|Iran|Iraq|Syria|Lebanon|Jordan|Egypt|
Libya|Algeria|Morocco|Tunisia|Sudan|Ethiopia|Kenya|Nigeria|South Africa|Angola|Mozambique|
Brazil|Argentina|Chile|Peru|Venezuela|Cuba|Nicaragua|Mexico|Bolivia|Colombia|Ecuador|the
United States|Canada|the United Kingdom|France|Germany|Italy|Spain|Portugal|Greece|Serbia|
Hungary|Slovakia|Austria|Switzerland|Norway|Finland|Sweden|Poland|Japan|South Korea|North
Korea|Mongolia|Vietnam|Laos|Cambodia|Thailand|Myanmar|Malaysia|Indonesia|the Philippines|
Pakistan|Afghanistan|Bangladesh|Sri Lanka|Nepal|Saudi Arabia|the United Arab Emirates|
Qatar|Kuwait|Oman|Bahrain|Israel|Palestine|Yemen|Mali|Niger|Burkina Faso|Senegal|Ghana|
Tanzania|Uganda|Zimbabwe|Namibia|Madagascar|Australia|New Zealand|Singapore"""
)
DATELINES = _bar(
    """MOSCOW|ST. PETERSBURG|NOVOSIBIRSK|YEKATERINBURG|KAZAN|VLADIVOSTOK|SOCHI|
KALININGRAD|MURMANSK|KHABAROVSK|IRKUTSK|KRASNOYARSK|SAMARA|ROSTOV-ON-DON|VOLGOGRAD|
NIZHNY NOVGOROD|UFA|PERM|OMSK|TOMSK|YAKUTSK|GROZNY|MAKHACHKALA|SIMFEROPOL|SEVASTOPOL|MINSK|
YEREVAN|BAKU|TBILISI|ASTANA|ALMATY|TASHKENT|BISHKEK|DUSHANBE|ASHGABAT|BEIJING|SHANGHAI|
NEW DELHI|TOKYO|SEOUL|HANOI|BANGKOK|JAKARTA|ANKARA|ISTANBUL|TEHRAN|BAGHDAD|DAMASCUS|BEIRUT|
CAIRO|RIYADH|DUBAI|ABU DHABI|DOHA|ADDIS ABABA|PRETORIA|NAIROBI|BRASILIA|BUENOS AIRES|
HAVANA|CARACAS|MEXICO CITY|UNITED NATIONS|GENEVA|VIENNA|BERLIN|PARIS|LONDON|ROME|MADRID|
BELGRADE|BUDAPEST|WASHINGTON|NEW YORK|OTTAWA"""
)
CITIES = [c.title() for c in DATELINES if c != "UNITED NATIONS"]
MONTHS = """January February March April May June July August September October November
December""".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
ADJ = """regional bilateral multilateral strategic economic military humanitarian financial
technical scientific cultural industrial agricultural nuclear maritime Arctic transit
cross-border long-term joint national international federal municipal digital energy
transport logistics security defense fiscal monetary legal judicial electoral parliamentary
diplomatic trade investment customs migration environmental climate medical pharmaceutical
educational sports tourism infrastructure housing water railway aviation space satellite
telecommunications banking insurance grain fertilizer oil gas coal power hydropower
pipeline shipbuilding automotive aerospace chemical metallurgical mining forestry fisheries
postal border consular""".split()
NOUN = """cooperation agreement partnership program project initiative framework mechanism
corridor route link pipeline terminal hub port plant facility station reactor contract
deal memorandum roadmap strategy plan package reform law bill amendment decree resolution
declaration statement report review audit inspection investigation probe case trial
verdict sanctions restrictions tariffs quotas duties exports imports supplies shipments
deliveries flows volumes reserves stocks prices rates revenues payments loans credits
bonds assets investments subsidies grants funds budget deficit surplus growth output
production capacity consumption demand market exchange auction tender summit talks
consultations negotiations meeting forum conference session exercise drills maneuvers
patrol mission deployment withdrawal ceasefire truce settlement dialogue hearings
mediation commission council committee working group task force census election
referendum campaign vote ballot turnout survey poll index forecast outlook""".split()
SPEECH = _bar(
    """said|told reporters|stressed|noted|pointed out|announced|stated|emphasized|
explained|added|recalled|underlined|told TASS|told journalists|wrote on his Telegram channel|
said in a statement|told a news conference|said at a briefing|remarked|confirmed"""
)
VERB = _bar(
    """sign|discuss|expand|suspend|resume|review|approve|extend|launch|finalize|boost|
cut|double|freeze|coordinate|monitor|restore|upgrade|modernize|fund|support|oppose|reject|
welcome|criticize|postpone|accelerate|simplify|tighten|ease|ratify|implement|negotiate|
explore|assess|prepare|complete|deepen|strengthen|revise"""
)
EVENT_KIND = _bar(
    """summit|forum|meeting|session|conference|round of talks|ministerial meeting|
economic forum|plenary session|working visit|state visit|emergency session|
intergovernmental commission meeting|business dialogue|expert consultations"""
)
ORDINALS = """first second third fourth fifth sixth seventh eighth ninth tenth eleventh
twelfth fifteenth twentieth""".split()
UNITS = _bar(
    """billion rubles|million rubles|billion dollars|million dollars|million tonnes|
thousand tonnes|billion cubic meters|megawatts|kilometers|percent|thousand people|
million euros|billion yuan|barrels per day|flights a week|trains a day|vessels"""
)
CONNECT = _bar(
    """However,|At the same time,|Meanwhile,|Earlier,|In addition,|According to him,|
As a result,|Moreover,|In particular,|Later,|Previously,|Besides,|In turn,|Nevertheless,|
On the other hand,|Following the talks,|In this regard,|Back then,"""
)

# sentence templates: {P} person, {R} role, {O} organisation, {C} country, {X} city,
# {T} topic (adjective noun), {V} verb, {VD} its participle, {S} speech verb, {D} weekday,
# {N} number, {Q} small number, {U} unit, {E} event, {K} connective, {M} month, {Y} year;
# the *0 slots are the article's cast (the same all through one article)
SENTENCES = [
    "{P0}, {R} of {C0}, {S} on {D} that the {T} with {C} would be {VD} by {M}.",
    "{K} the {O} {S} that the {T} had reached {N} {U} in the first half of {Y}.",
    "{P}, who heads the {O}, {S} that {C0} and {C} intend to {V} the {T0}.",
    "The {T} between {C} and {C0} is expected to {V} the {T} over the next {Q} years.",
    "{K} {P} {S} that the {O0} was ready to {V} the {T} if {C} agreed.",
    "The {E} in {X} on {D} focused on the {T}, the {T} and the {T0}.",
    "According to the {O}, the {T} grew by {N} percent year on year in {M}.",
    "{K} delegations from {C} and {C} are set to {V} the {T} at the {E} in {X}.",
    '"We are ready to {V} the {T} and the {T} with our partners in {C}," {P0} {S}.',
    '"The {T} remains a priority for {C0}, and we will {V} it," the {R} {S}.',
    "{P} of the {O} {S} on {D} that {N} {U} had been allocated for the {T}.",
    "{K} the {R} did not rule out that {C} could {V} the {T0} before {M} {N}.",
    "The {O0} earlier proposed to {V} the {T} and to {V} the {T} in {X}.",
    "In {M}, {C} and {C0} agreed to {V} the {T} worth {N} {U}.",
    "{K} the {T} was discussed by {P} and {P} during a {E} in {X}.",
    "Experts at the {O} expect the {T} to {V} the {T} by {N} percent.",
    "{P0} also {S} that the {T} with {C} was not on the agenda of the {E}.",
    "{K} the {O} will {V} the {T} in {X} and {X} starting {M} {N}.",
    "The {R} {S} that {C0} would {V} the {T} unless {C} agreed to {V} the {T}.",
    "{K} a {T} worth {N} {U} was signed in {X} on {D}, the {O} {S}.",
    "{P} {S} that the {T0} could {V} the {T} of {C} and {C}.",
    "Over {N} {U} of {T} were reported in {X} in {M}, according to {O} data.",
    "{K} the {E} of the {O} in {X} is scheduled for {M} {N}, {P} {S}.",
    "{C0} has repeatedly called on {C} to {V} the {T} and to {V} the {T}.",
]
LEADS = [
    "{K} {P}, {R} of {C}, {S} that the {T} and the {T} would be {VD} at the {E} in {X}",
    "{C0} and {C} are expected to {V} the {T0} and the {T} worth {N} {U} by {M}",
    "{K} the {O} has proposed to {V} the {T} in {X} and to {V} the {T} with {C}",
    "The {T0} was among the issues {P} and {P} discussed during the {E} in {X} on {D}",
]
TITLES = [
    "{C0} ready to {V} {T0} with {C}",
    "{O0} to {V} {T0} at {E} in {X}",
    "{P0} says {C0} will not {V} {T0}",
    "{C0}, {C} agree to {V} {T0} worth {N} {U}",
    "{T0} with {C} may {V} {T} by {M}, {R} says",
    "{O0} proposes to {V} {T0} in {X}",
    "{C0} expects {C} to {V} {T0} after {E}",
    "{P0} calls on {C} to {V} {T0} and {T}",
]
BACKGROUNDS = [
    "The {T0} between {C0} and {C} dates back to {Y}, when the {O} launched the {T} and the "
    "{T} in {X}. In {M} {Y}, {P} and {P} signed a {T} on the {T}, and {N} {U} of {T} were "
    "reported by the end of that year. {K} the {E} in {X} endorsed the {T}.",
    "{C0} and {C} established the {T} in {Y}. Since then, the {O} has reported {N} {U} of "
    "{T}, while the {T} and the {T} were {VD} in {X} and {X}. {K} the parties agreed to {V} "
    "the {T} at the {E} in {X} in {M} {Y}.",
    "The {O0} was set up in {Y} and unites {N} members, including {C}, {C} and {C}. Its "
    "{E} in {X} in {M} {Y} approved the {T} and the {T}. {K} {P}, {R} of {C}, {S} that the "
    "{T} would be {VD} by {Y}.",
]
UPDATE_SENTENCES = [
    "The {O} later confirmed the figure.",
    "{P} {S} later on {D}.",
    "The {E} is scheduled for {M} {N}.",
    "The {R} gave no further details.",
    "Talks will resume in {X} on {D}.",
]
TITLE_EDITS = ["UPDATE: ", "UPDATE 1: ", "REISSUE: ", "CORRECTED: "]
TITLE_TAILS = [", source says", " — official", ", {R} says", " — media", " after {E}"]

_IRREGULAR = {"cut": "cut", "freeze": "frozen", "simplify": "simplified", "ratify": "ratified"}
PARTICIPLE = {v: _IRREGULAR.get(v) or (v + "d" if v.endswith("e") else v + "ed") for v in VERB}

_SLOT = re.compile(r"\{(\w+)\}")
_WORD = re.compile(r"\w+")


def _compile(template: str) -> list[tuple[bool, str]]:
    """A template as (is_slot, text) pieces, for fast filling."""
    pieces: list[tuple[bool, str]] = []
    pos = 0
    for m in _SLOT.finditer(template):
        pieces.append((False, template[pos : m.start()]))
        pieces.append((True, m.group(1)))
        pos = m.end()
    pieces.append((False, template[pos:]))
    return [p for p in pieces if p[1]]


_T = {
    name: [_compile(t) for t in group]
    for name, group in (
        ("sentences", SENTENCES),
        ("leads", LEADS),
        ("titles", TITLES),
        ("backgrounds", BACKGROUNDS),
        ("updates", UPDATE_SENTENCES),
        ("tails", TITLE_TAILS),
    )
}


# --------------------------------------------------------------------------- articles


@dataclass
class Planted:
    """One planted duplicate: ``file`` repeats ``of`` (paths relative to the articles folder)."""

    file: str
    of: str
    kind: str  # "near" (re-issue) or "exact"
    edit: str  # "headline", "last-paragraph" or "exact"
    jaccard: float


@dataclass
class GroundTruth:
    n: int
    seed: int
    articles: str  # folder of the articles
    planted: list[Planted] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "seed": self.seed,
            "generator_version": GENERATOR_VERSION,
            "articles": self.articles,
            "near": sum(p.kind == "near" for p in self.planted),
            "exact": sum(p.kind == "exact" for p in self.planted),
            "planted": [asdict(p) for p in self.planted],
        }

    @classmethod
    def from_json(cls, data: dict) -> GroundTruth:
        return cls(
            data["n"], data["seed"], data["articles"], [Planted(**p) for p in data["planted"]]
        )


@dataclass
class Article:
    title: str
    lead: str  # without its final period, as on the TASS site
    body: list[str]  # dateline paragraph first; the lead repeat is not included
    repeat_at: int  # index in body before which the lead is repeated

    def render(self) -> str:
        body = list(self.body)
        body.insert(self.repeat_at, self.lead + ".")
        return "\n\n".join(["All news", self.title, self.lead, *body]) + "\n"

    def kept_text(self) -> str:
        """What the TASS reader keeps: title, lead and body without the crumb and repeat."""
        return "\n\n".join([self.title, self.lead, *self.body])


class _Filler:
    """Fills templates for one article: a fixed cast (*0 slots) and fresh draws elsewhere."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cast = {
            "P0": self.person(),
            "C0": rng.choice(COUNTRIES),
            "O0": rng.choice(ORGS),
            "T0": self.topic(),
        }

    def person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def topic(self) -> str:
        rng = self.rng
        if rng.random() < 0.4:
            return f"{rng.choice(ADJ)} {rng.choice(ADJ)} {rng.choice(NOUN)}"
        return f"{rng.choice(ADJ)} {rng.choice(NOUN)}"

    def slot(self, name: str) -> str:
        rng = self.rng
        if name in self.cast:
            return self.cast[name]
        match name:
            case "P":
                return self.person()
            case "R":
                return rng.choice(ROLES)
            case "O":
                return rng.choice(ORGS)
            case "C":
                return rng.choice(COUNTRIES)
            case "X":
                return rng.choice(CITIES)
            case "T":
                return self.topic()
            case "V":
                return rng.choice(VERB)
            case "VD":
                return PARTICIPLE[rng.choice(VERB)]
            case "S":
                return rng.choice(SPEECH)
            case "D":
                return rng.choice(WEEKDAYS)
            case "N":
                return str(rng.choice((rng.randint(2, 99), rng.randint(100, 9999))))
            case "Q":
                return str(rng.randint(2, 15))
            case "U":
                return rng.choice(UNITS)
            case "E":
                kind = rng.choice(EVENT_KIND)
                return f"{rng.choice(ORDINALS)} {kind}" if rng.random() < 0.3 else kind
            case "K":
                return rng.choice(CONNECT)
            case "M":
                return rng.choice(MONTHS)
            case "Y":
                return str(rng.randint(1991, 2023))
        raise KeyError(name)

    def fill(self, pieces: list[tuple[bool, str]]) -> str:
        text = "".join(self.slot(t) if is_slot else t for is_slot, t in pieces)
        return text[0].upper() + text[1:]

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.fill(self.rng.choice(_T["sentences"])) for _ in range(sentences))


def make_article(rng: random.Random) -> Article:
    """One original article of about 2 KB."""
    f = _Filler(rng)
    title = f.fill(rng.choice(_T["titles"]))
    lead = f.fill(rng.choice(_T["leads"]))
    dateline = f"{rng.choice(DATELINES)}, {rng.choice(MONTHS)} {rng.randint(1, 28)}. /TASS/. "
    body = [dateline + f.paragraph(rng.randint(2, 3))]
    target = rng.randint(1750, 2250)
    size = len(title) + len(lead) * 2 + len(body[0]) + 400  # 400: the background paragraph
    while size < target:
        body.append(f.paragraph(rng.randint(1, 3)))
        size += len(body[-1]) + 2
    body.append(f.fill(rng.choice(_T["backgrounds"])))
    repeat_at = rng.randint(1, len(body) - 1)  # after the dateline paragraph, before the last
    return Article(title, lead, body, repeat_at)


def reissue(original: Article, rng: random.Random) -> tuple[Article, str, float]:
    """A re-issue of ``original`` (edited headline or changed last paragraph) and its Jaccard."""
    f = _Filler(rng)
    edit = "headline" if rng.random() < 0.5 else "last-paragraph"
    for attempt in range(8):
        title, body = original.title, list(original.body)
        if edit == "headline":
            title = _edit_title(title, f, rng)
        else:
            body[-1] = _edit_last(body[-1], f, rng, gentle=attempt >= 4)
        new = Article(title, original.lead, body, original.repeat_at)
        sim = jaccard(original.kept_text(), new.kept_text())
        if MIN_JACCARD <= sim < 1.0:
            return new, edit, sim
    # fall back to the smallest edit there is: one word of the headline
    new = Article(original.title + " (update)", original.lead, original.body, original.repeat_at)
    return new, "headline", jaccard(original.kept_text(), new.kept_text())


def _edit_title(title: str, f: _Filler, rng: random.Random) -> str:
    match rng.randrange(3):
        case 0:
            return rng.choice(TITLE_EDITS) + title
        case 1:
            return title + f.fill(rng.choice(_T["tails"]))
    words = title.split()
    i = rng.randrange(len(words))
    words[i] = rng.choice(VERB + NOUN)
    return " ".join(words)


def _edit_last(paragraph: str, f: _Filler, rng: random.Random, gentle: bool) -> str:
    sentences = re.split(r"(?<=\.) ", paragraph)
    match 0 if gentle else rng.randrange(3):
        case 0:  # a changed figure or name
            words = paragraph.split(" ")
            i = rng.randrange(len(words))
            words[i] = f.slot(rng.choice("NXCD"))
            return " ".join(words)
        case 1:  # an added sentence
            return paragraph + " " + f.fill(rng.choice(_T["updates"]))
    i = rng.randrange(len(sentences))  # a rewritten sentence
    sentences[i] = f.fill(rng.choice(_T["updates"]))
    return " ".join(sentences)


def shingles(text: str, n: int = SHINGLE) -> set[str]:
    """Lower-cased word n-grams, as goldwire.corpus.dedup computes them."""
    words = _WORD.findall(text.lower())
    if len(words) <= n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: str, b: str, n: int = SHINGLE) -> float:
    sa, sb = shingles(a, n), shingles(b, n)
    return len(sa & sb) / len(sa | sb)


def relpath(i: int) -> str:
    return f"{i // SHARD:04d}/{i:07d}.txt"


def articles(
    n: int, seed: int = SEED, near_rate: float = NEAR_RATE, exact_rate: float = EXACT_RATE
) -> Iterator[tuple[str, str, Planted | None]]:
    """``(relative path, file text, planted duplicate or None)`` for articles 0..n-1.

    Prefix-stable: no decision depends on ``n``.
    """
    rng = random.Random(seed)
    recent: deque[tuple[str, Article, str]] = deque()  # originals not yet repeated
    for i in range(n):
        path = relpath(i)
        draw = rng.random()
        while recent and len(recent) > _WINDOW:
            recent.popleft()
        if recent and draw < near_rate + exact_rate:
            k = rng.randrange(len(recent))
            of, original, text = recent[k]
            del recent[k]
            if draw < exact_rate:
                yield path, text, Planted(path, of, "exact", "exact", 1.0)
                continue
            new, edit, sim = reissue(original, rng)
            yield path, new.render(), Planted(path, of, "near", edit, round(sim, 4))
            continue
        art = make_article(rng)
        text = art.render()
        recent.append((path, art, text))
        yield path, text, None


def generate(
    n: int,
    out: Path,
    *,
    seed: int = SEED,
    near_rate: float = NEAR_RATE,
    exact_rate: float = EXACT_RATE,
) -> GroundTruth:
    """Write ``n`` articles under ``out/articles`` and the ground truth to ``out/truth.json``.

    ``truth.json`` is written last: its presence means the corpus is complete.
    """
    root = out / "articles"
    truth = GroundTruth(n, seed, str(root))
    made: set[Path] = set()
    for path, text, planted in articles(n, seed, near_rate, exact_rate):
        target = root / path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_text(text, encoding="utf-8")
        if planted is not None:
            truth.planted.append(planted)
    (out / "truth.json").write_text(json.dumps(truth.to_json(), indent=1) + "\n")
    return truth


def load_truth(out: Path) -> GroundTruth | None:
    """The ground truth of a complete corpus under ``out``, or None."""
    path = out / "truth.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    if data.get("generator_version") != GENERATOR_VERSION:
        return None
    return GroundTruth.from_json(data)


def ensure(n: int, out: Path, *, seed: int = SEED) -> GroundTruth:
    """The corpus under ``out`` if it is complete and current, else a freshly generated one."""
    truth = load_truth(out)
    if truth is not None and truth.n == n and truth.seed == seed:
        return truth
    import shutil

    shutil.rmtree(out / "articles", ignore_errors=True)
    (out / "truth.json").unlink(missing_ok=True)
    return generate(n, out, seed=seed)


def background_similarity(n: int = 400, seed: int = SEED) -> dict[str, float]:
    """Jaccard of word 5-grams between unrelated articles (all pairs of n originals)."""
    texts = []
    for _path, _text, planted in articles(n, seed, 0.0, 0.0):
        texts.append(_text)
        assert planted is None
    sets = [shingles(t) for t in texts]
    sims = []
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            sims.append(len(sets[i] & sets[j]) / len(sets[i] | sets[j]))
    sims.sort()
    return {
        "pairs": len(sims),
        "mean": round(sum(sims) / len(sims), 4),
        "p99": round(sims[int(0.99 * (len(sims) - 1))], 4),
        "max": round(sims[-1], 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of articles")
    parser.add_argument("out", type=Path, help="output folder (articles/ and truth.json)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--truth", action="store_true", help="print the planted duplicates")
    parser.add_argument(
        "--check", action="store_true", help="also print the Jaccard of unrelated articles"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    truth = generate(args.n, args.out, seed=args.seed)
    seconds = time.perf_counter() - started
    data = truth.to_json()
    sims = [p.jaccard for p in truth.planted if p.kind == "near"]
    print(
        f"{args.n} articles in {args.out / 'articles'} ({seconds:.1f} s); planted: "
        f"{data['near']} re-issues (Jaccard {min(sims, default=0):.3f}..{max(sims, default=0):.3f})"
        f", {data['exact']} exact copies; ground truth: {args.out / 'truth.json'}"
    )
    if args.truth:
        for p in truth.planted:
            print(f"{p.file}\t{p.kind}\t{p.of}\t{p.edit}\t{p.jaccard}")
    if args.check:
        print("unrelated articles, word 5-gram Jaccard:", json.dumps(background_similarity()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
