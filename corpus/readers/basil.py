"""Reader for BASIL (``basil``): news articles with phrase-level stance annotations.

BASIL (Fan et al., EMNLP 2019, "In Plain Sight: Media Bias Through the Lens of Factual
Reporting") has 300 articles, 100 triplets of Fox News, the New York Times and HuffPost
articles on one event, in ``articles/YEAR/UUID_N.json`` and their annotations in
``annotations/YEAR/UUID_N_ann.json``. The reader reads an article file and its annotation
file (found from the article's path) and yields one document:

* **text**: the title, a blank line, then the body paragraphs (``body-paragraphs``: a list of
  paragraphs, each a list of sentences) separated by blank lines, a paragraph's sentences
  joined by one space; each piece NFC-normalised with ``\\n`` line endings. ``agency`` is the
  outlet's name (``Fox News``, ``New York Times``, ``HuffPost``); ``published`` the date.
* **stances**: one per phrase-level annotation, holder and target by **name only** (BASIL
  marks no entity spans): holder = ``speaker`` (underscores as spaces; an empty speaker means
  the article itself, whose holder is the outlet's name), target = ``target``; ``pos`` ->
  SUPPORT, ``neg`` -> OPPOSE. Annotations whose speaker is an unnamed other person
  (``other_pro``, ``other_anti``, ``other_neutral``) name no holder and are left out; the
  count goes to ``meta["unnamed_speakers"]``.
* **evidence**: each annotation's phrase (``txt``; ``start``/``end`` count from the start of
  one sentence of ``body-paragraphs``, the one numbered by the phrase id ``pN`` over the
  flattened sentences, or the title for id ``title``) located in the full text, kept in
  ``meta["gold_stance_evidence"]`` as JSON (a list parallel to ``stances``: ``start``,
  ``end``, ``text``, the phrase id, ``aim``, ``quote``; ``null`` when the phrase cannot be
  located exactly). Every phrase, those of unnamed speakers included, is located;
  ``meta["evidence_unlocated"]`` counts those that cannot be. ``gold_`` keys are gold:
  models are not shown them.
* **article level**: ``author_feeling_*`` and ``relative_stance`` go to
  ``meta["gold_article_level"]`` (JSON).
* **split**: a hash of the triplet (``triplet-uuid``, :data:`SPLIT`, 70/10/20, salt
  ``basil``), so the three articles on one event are in the same split.

A missing or unreadable annotation file, or a phrase id naming no sentence, is reported (a
Rejection of the article, or an unlocated evidence span). Every document's stances layer has
status ``reader:basil``; its entities and document stances ``none``.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from goldwire.corpus.normalize import normalize_text
from goldwire.corpus.readers.base import Reader, ReadOptions, Rejection
from goldwire.corpus.split import SplitRatios
from goldwire.errors import UsageError
from goldwire.files import write_json
from goldwire.schema import Document, LabelSchema, Mention, Paragraph, Stance

OUTLETS = {"fox": "Fox News", "nyt": "New York Times", "hpo": "HuffPost"}
POLARITY = {"pos": "SUPPORT", "neg": "OPPOSE"}
UNNAMED = ("other_pro", "other_anti", "other_neutral")
SPLIT = SplitRatios(0.7, 0.1, 0.2, salt="basil")


def annotation_path(article: Path) -> Path:
    """``.../articles/2016/UUID_1.json`` -> ``.../annotations/2016/UUID_1_ann.json``."""
    return (
        article.parent.parent.parent
        / "annotations"
        / article.parent.name
        / (article.stem + "_ann.json")
    )


def name(value: str) -> str:
    return " ".join(value.replace("_", " ").split())


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", normalize_text(text))


def _clean(text: str) -> str:
    """One line of text: NFC, whitespace runs (line breaks included) as one space."""
    return " ".join(_norm(text).split())


class BasilReader(Reader):
    """A BASIL article JSON file and its annotation file."""

    def __init__(self) -> None:
        super().__init__(
            "basil", (), "BASIL article JSON (annotations found beside it)", gold_layer="stances"
        )

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() == ".json" and '"body-paragraphs"' in head

    def read(self, path: Path, text: str, options: ReadOptions) -> Iterator[Document | Rejection]:
        source = str(path)
        try:
            article = json.loads(text)
            sentences = [[s for s in p if isinstance(s, str)] for p in article["body-paragraphs"]]
            title = article.get("title") or ""
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            yield Rejection(
                source,
                "unparseable",
                f"{source}: not a BASIL article ({exc}); "
                "expected a JSON object with body-paragraphs",
            )
            return
        ann_path = annotation_path(path)
        try:
            ann = json.loads(ann_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            yield Rejection(
                source,
                "no-annotations",
                f"{source}: its annotation file "
                f"{ann_path} cannot be read ({exc}); the article is skipped",
            )
            return
        yield self._document(path, article, title, sentences, ann)

    def _document(
        self,
        path: Path,
        article: dict[str, Any],
        title: str,
        paragraphs: list[list[str]],
        ann: dict[str, Any],
    ) -> Document:
        title_clean = _clean(title)
        text, paras, starts = _assemble(title, title_clean, paragraphs)
        outlet_code = str(article.get("source", "")).lower()
        outlet = OUTLETS.get(outlet_code, article.get("source") or "")
        stances, evidence, unnamed, skipped, unlocated = _stances(text, starts, ann, outlet)
        article_level = {
            k: v
            for k, v in ann.get("article-level-annotations", {}).items()
            if k.startswith("author_feeling") or k == "relative_stance"
        }
        meta = {
            "reader": self.name,
            "outlet": outlet_code,
            "uuid": str(article.get("uuid", "")),
            "triplet_uuid": str(article.get("triplet-uuid", "")),
            "url": str(article.get("url", "")),
            "main_entities": json.dumps(
                [name(e) for e in article.get("main-entities", [])], ensure_ascii=False
            ),
            "main_event": str(article.get("main-event", "")),
            "split": SPLIT.assign(str(article.get("triplet-uuid") or article.get("uuid"))),
            "unnamed_speakers": str(unnamed),
            "phrases": str(len(ann.get("phrase-level-annotations", []))),
            "phrases_without_target_or_polarity": str(skipped),
            "evidence_unlocated": str(len(unlocated)),
            "gold_stance_evidence": json.dumps(evidence, ensure_ascii=False),
            "gold_article_level": json.dumps(article_level, ensure_ascii=False),
        }
        if unlocated:
            meta["evidence_unlocated_phrases"] = json.dumps(unlocated, ensure_ascii=False)
        return Document(
            id="",
            text=text,
            source=str(path),
            agency=outlet or None,
            published=article.get("date") or None,
            title=title_clean,
            paragraphs=paras,
            language="en",
            meta=meta,
            stances=stances,
            annotation=self.annotation(),
        )


def _assemble(
    title: str, title_clean: str, paragraphs: list[list[str]]
) -> tuple[str, list[Paragraph], dict[str, tuple[int, str, str]]]:
    """The text (title, blank line, paragraphs of sentences joined by spaces), its
    paragraphs, and where each phrase id starts: ``{id: (offset, raw, cleaned)}``."""
    pieces: list[str] = []
    paras: list[Paragraph] = []
    starts: dict[str, tuple[int, str, str]] = {}  # phrase id -> (offset, raw, cleaned)
    pos = 0
    if title_clean:
        pieces.append(title_clean)
        paras.append(Paragraph("title", 0, len(title_clean)))
        starts["title"] = (0, title, title_clean)
        pos = len(title_clean)
    n = 0
    for para in paragraphs:
        cleaned = [c for c in (_clean(s) for s in para)]
        if pieces:
            pieces.append("\n\n")
            pos += 2
        begin = pos
        for i, (raw, clean) in enumerate(zip(para, cleaned, strict=True)):
            if i and clean:
                pieces.append(" ")
                pos += 1
            starts[f"p{n}"] = (pos, raw, clean)
            pieces.append(clean)
            pos += len(clean)
            n += 1
        if pos > begin:
            paras.append(Paragraph("body", begin, pos))
        elif pieces and pieces[-1] == "\n\n":
            pieces.pop()
            pos -= 2
    text = "".join(pieces)
    return text, paras, starts


def _stances(text: str, starts: dict[str, tuple[int, str, str]], ann: dict[str, Any], outlet: str):
    """The phrase-level annotations as name-only stances with their evidence spans, and the
    counts of what was left out: ``(stances, evidence, unnamed, skipped, unlocated)``."""
    stances, evidence, unnamed, skipped, unlocated = [], [], 0, 0, []
    for phrase in ann.get("phrase-level-annotations", []):
        speaker, target = name(phrase.get("speaker", "")), name(phrase.get("target", ""))
        label = POLARITY.get(phrase.get("polarity"))
        span = _locate(text, starts, phrase)
        if span is None:
            unlocated.append(f"{phrase.get('id')}: {phrase.get('txt', '')[:60]!r}")
        if phrase.get("speaker") in UNNAMED:
            unnamed += 1
            continue
        if not target or label is None:
            skipped += 1
            continue
        stances.append(Stance(Mention(text=speaker or outlet), Mention(text=target), label))
        evidence.append(
            None
            if span is None
            else {
                "start": span[0],
                "end": span[1],
                "text": text[span[0] : span[1]],
                "phrase": phrase.get("id"),
                "aim": phrase.get("aim"),
                "quote": phrase.get("quote"),
            }
        )
    return stances, evidence, unnamed, skipped, unlocated


def _locate(
    text: str, starts: dict[str, tuple[int, str, str]], phrase: dict[str, Any]
) -> tuple[int, int] | None:
    """The phrase's span in the full text, or None when it cannot be located exactly.

    The offsets count from the start of the raw sentence and ``raw[start:end]`` must read as
    the phrase's ``txt``. The sentence was cleaned (NFC, whitespace collapsed), so the start is
    carried through the cleaning with a marker character; the span found must read as the
    cleaned phrase.
    """
    entry = starts.get(str(phrase.get("id")))
    txt = phrase.get("txt") or ""
    try:
        a, b = int(phrase["start"]), int(phrase["end"])
    except (KeyError, TypeError, ValueError):
        return None
    if entry is None or not txt.strip():
        return None
    offset, raw, clean = entry
    if raw[a:b] != txt:
        return None
    want = _clean(txt)
    marked = _clean(raw[:a] + _MARK + raw[a:])
    k = marked.index(_MARK)
    if marked[:k] + marked[k + 1 :] != clean:
        return None
    while k < len(clean) and clean[k] == " ":
        k += 1
    if clean[k : k + len(want)] != want:
        return None
    return offset + k, offset + k + len(want)


_MARK = "\x00"


def basil_labels() -> LabelSchema:
    """The default label schema (BASIL's stances are SUPPORT and OPPOSE)."""
    return LabelSchema.default()


def basil_aliases(docs: list[Document]) -> dict[str, list[str]]:
    """An alias table for stance-triple scoring: each multi-word name of a holder or target
    with its last word as an alias (``Donald Trump`` <- ``Trump``), when that last word is
    capitalised, not a common group word and the last word of no other name.

    Predictions name entities by their mentions in the text (``Trump``, ``Mr. Obama`` ->
    ``Obama``), BASIL names them in full; the table maps both to one name. Format: the JSON of
    :meth:`goldwire.evaluate.stance.AliasTable.load` (canonical name -> aliases).
    """
    names: set[str] = set()
    for doc in docs:
        for s in doc.stances:
            names.update((s.holder.text, s.target.text))
    last: dict[str, set[str]] = {}
    for full in names:
        words = full.split()
        if len(words) >= 2:
            last.setdefault(words[-1].casefold(), set()).add(full.casefold())
    table: dict[str, list[str]] = {}
    for full in sorted(names):
        words = full.split()
        if (
            len(words) < 2
            or not all(w[:1].isupper() for w in words)
            or words[-1].casefold() in GROUP_WORDS
            or len(last[words[-1].casefold()]) > 1
            or words[-1].casefold() in {n.casefold() for n in names}
        ):
            continue
        table[full] = [words[-1]]
    return table


GROUP_WORDS = frozenset(
    "lawmakers democrats republicans administration campaign committee members officials "
    "party act court house senate department agency group supporters voters media staff "
    "family people government council news times post".split()
)
ALIASES_FILE = "aliases.json"


def import_basil(data_dir: str | Path, out: str | Path, *, workers: int = 1):
    """Build a goldwire corpus of BASIL (``data_dir/articles`` with ``data_dir/annotations``)
    in ``out``, through goldwire JSONL (see :func:`goldwire.corpus.readers.fnc1.import_documents`),
    and write ``out/aliases.json`` (:func:`basil_aliases`). ``out/import_report.json`` lists
    the evidence phrases that cannot be located exactly. Returns the import report."""
    from goldwire.corpus.readers.fnc1 import import_documents

    data_dir, out = Path(data_dir), Path(out)
    articles = sorted((data_dir / "articles").glob("*/*.json"))
    if not articles:
        raise UsageError(f"{data_dir}: no articles/YEAR/*.json files; give the BASIL folder")
    reader = BasilReader()
    docs = []
    for path in articles:
        text = normalize_text(path.read_text(encoding="utf-8-sig"))
        docs.extend(d for d in reader.read(path, text, ReadOptions()) if isinstance(d, Document))
    unlocated = [
        {"article": d.source, "phrases": json.loads(d.meta["evidence_unlocated_phrases"])}
        for d in docs
        if "evidence_unlocated_phrases" in d.meta
    ]
    notes = {
        "source": "BASIL",
        "split": "hash of the triplet uuid, 70/10/20 (salt basil)",
        "phrases": sum(int(d.meta["phrases"]) for d in docs),
        "stances": sum(len(d.stances) for d in docs),
        "unnamed_speakers_left_out": sum(int(d.meta["unnamed_speakers"]) for d in docs),
        "phrases_without_target_or_polarity": sum(
            int(d.meta["phrases_without_target_or_polarity"]) for d in docs
        ),
        "phrases_unlocated": sum(int(d.meta["evidence_unlocated"]) for d in docs),
        "phrases_unlocated_list": unlocated,
    }
    report = import_documents(reader, articles, out, basil_labels(), workers=workers, notes=notes)
    aliases = basil_aliases(docs)
    write_json(out / ALIASES_FILE, aliases)
    report.notes["aliases"] = str(out / ALIASES_FILE)
    return report
