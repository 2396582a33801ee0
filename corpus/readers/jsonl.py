"""Reader for JSON lines (``jsonl``): one article per line, as a JSON object.

Two kinds of objects:

* **goldwire documents** (``text``, ``paragraphs`` and ``text_sha256`` or ``entities``, as
  written by goldwire's own JSONL export) are kept as they are: text, paragraphs and
  annotations (entities, stances, document stances), every span checked. The id is left for
  the pipeline to derive from the text; an earlier ``source`` goes to
  ``meta["original_source"]``.
* **any other article object** is mapped field by field (``ReadOptions.fields``: goldwire
  field -> JSON key, dotted keys reach into nested objects: ``("published", "meta.date")``).
  Without a mapping each goldwire field is read from the key of its own name, and ``text``
  falls back to ``body``. The text is built with the wire layout (:func:`parse_wire` on the
  title and the body's paragraphs, then :func:`assemble`), so a dateline in the body is
  parsed. ``published`` comes from the mapped date (``YYYY-MM-DD`` or an ISO timestamp),
  else from the dateline and ``options.year``. The ``id`` goes to ``meta["source_id"]``
  (goldwire ids come from the text); ``split`` (train / validation / dev / test) to
  ``meta["split"]``; the other top-level scalar fields to ``meta`` as strings, and the names
  of unused nested fields to ``meta["unused_fields"]``.

The body's paragraphs are separated by blank lines; a body without blank lines has one
paragraph per line. A line that is not JSON, not an object, or has no text is a Rejection
naming ``file:line`` and the fix; the rest of the file goes on. So is a line nested too
deeply for the JSON parser, one holding a lone surrogate escape (``"\\ud800"``: UTF-8 cannot
hold it), and a line whose reading fails in any other way.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from goldwire.console import shown_name
from goldwire.corpus.normalize import normalize_text, split_paragraphs
from goldwire.corpus.readers.base import Reader, ReadOptions, Rejection
from goldwire.corpus.readers.wiretext import wire_document
from goldwire.corpus.wire import WireParts, parse_wire
from goldwire.errors import SchemaError, UsageError
from goldwire.schema import Document

# goldwire field -> the JSON keys tried when no --field maps it
DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("text", "body"),
    "title": ("title",),
    "lead": ("lead",),
    "published": ("published",),
    "id": ("id",),
    "language": ("language",),
    "agency": ("agency",),
    "dateline": ("dateline",),
    "split": ("split",),
}
SPLITS = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "test": "test",
}
GOLDWIRE_KEYS = ("text_sha256", "entities")
# a string with raw U+2028/U+2029 (valid JSON) reaches the reader split over lines, because
# normalisation turns them into "\n"; up to this many following lines are joined back
MAX_JOINED_LINES = 20
_MISSING = object()
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def field_keys(fields: tuple[tuple[str, str], ...]) -> dict[str, tuple[str, ...]]:
    """The JSON keys to try for each goldwire field; UsageError for an unknown field."""
    keys = dict(DEFAULT_KEYS)
    for name, key in fields:
        if name not in DEFAULT_KEYS:
            raise UsageError(
                f"--field {name}={key}: {name!r} is not a goldwire field that JSONL input can "
                f"map; use one of {', '.join(DEFAULT_KEYS)}"
            )
        keys[name] = (key,)
    return keys


def lookup(obj: dict[str, Any], key: str) -> Any:
    """``obj[key]``, or the nested value for a dotted key (``meta.date``); _MISSING if absent."""
    if key in obj:
        return obj[key]
    value: Any = obj
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def parse_date(value: str) -> str | None:
    """``YYYY-MM-DD`` from an ISO date or timestamp (the date as written), else None."""
    value = value.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}(?:$|[T ])", value):
        return None
    try:
        if len(value) == 10:
            return datetime.date.fromisoformat(value).isoformat()
        stamp = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        return datetime.datetime.fromisoformat(stamp).date().isoformat()
    except ValueError:
        return None


def _loads(line: str, following: list[str]) -> tuple[Any, int]:
    """The JSON value of a line, and how many following lines it took (see MAX_JOINED_LINES).

    Only a line that ends inside a string is joined with the next ones (as ``\n`` inside the
    string, which is what normalisation made of the line separators there); the original
    error is raised when no join makes a JSON object.
    """
    try:
        return json.loads(line), 0
    except json.JSONDecodeError as exc:
        if not exc.msg.startswith("Unterminated string"):
            raise
        joined = line
        for n, more in enumerate(following, 1):
            joined += "\n" + more
            try:
                value = json.loads(joined, strict=False)
            except json.JSONDecodeError as again:
                if again.msg.startswith("Unterminated string"):
                    continue
                raise exc from None
            if isinstance(value, dict):
                return value, n
            raise exc from None
        raise


def body_paragraphs(text: str) -> list[str]:
    """Paragraphs at blank lines; when the text has none, one paragraph per line."""
    if re.search(r"\n[ \t\u00a0]*\n", text):
        return split_paragraphs(text)
    return [line.strip() for line in text.split("\n") if line.strip()]


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text).strip().casefold()


def _scalar(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return None


class JsonlReader(Reader):
    """JSON lines: goldwire documents, or article objects mapped with ``--field``."""

    def __init__(self) -> None:
        super().__init__(
            "jsonl", (".jsonl", ".ndjson", ".json"), "JSON lines, one article object per line"
        )

    def sniff(self, path: Path, head: str) -> bool:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            return True
        first = next((line.strip() for line in head.split("\n") if line.strip()), "")
        if not first.startswith("{"):
            return False
        try:
            return isinstance(json.loads(first), dict)
        except json.JSONDecodeError:
            # a first line longer than the head is cut off: still JSON lines if it is the
            # whole head and reads like an object ({"key": ...)
            return "\n" not in head.strip() and re.match(r'^\{\s*"', first) is not None

    def read(self, path: Path, text: str, options: ReadOptions) -> Iterator[Document | Rejection]:
        keys = field_keys(options.fields)
        lines = text.split("\n")
        lineno = 0
        while lineno < len(lines):
            line = lines[lineno]
            lineno += 1
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            item = f"line {lineno}"
            try:
                obj, joined = _loads(line, lines[lineno : lineno + MAX_JOINED_LINES])
            except json.JSONDecodeError as exc:
                yield Rejection(
                    str(path),
                    "unparseable",
                    f"{where}: not valid JSON ({exc.msg}: column {exc.colno}); each line "
                    "must be one complete JSON object",
                    item,
                )
                continue
            except RecursionError:
                yield Rejection(
                    str(path),
                    "unparseable",
                    f"{where}: JSON nested too deeply to read; each line must be one article "
                    "object of moderate depth",
                    item,
                )
                continue
            lineno += joined
            try:
                yield self._record(obj, line, str(path), where, item, keys, options)
            except ImportError:  # the installation, not the input: not a rejection
                raise
            except Exception as exc:  # noqa: BLE001 - one bad line is a rejection
                detail = shown_name(" ".join(str(exc).split())[:200])
                yield Rejection(
                    str(path),
                    "schema",
                    f"{where}: cannot be read ({type(exc).__name__}: {detail}); "
                    "fix or remove this line",
                    item,
                )

    def _record(self, obj: Any, line: str, source: str, where: str, item: str,
                keys: dict[str, tuple[str, ...]], options: ReadOptions
                ) -> Document | Rejection:  # fmt: skip
        """One line's JSON value as a document, or the Rejection saying why not."""
        if not isinstance(obj, dict):
            return Rejection(
                source,
                "schema",
                f"{where}: a JSON {_json_type(obj)}, not an object; each line must be one "
                'article object such as {"title": ..., "text": ...}',
                item,
            )
        surrogate = _SURROGATE_ESCAPE.search(line)
        if surrogate is not None and not _utf8_ok(obj):
            return Rejection(
                source,
                "schema",
                f"{where}: a lone surrogate escape such as {surrogate.group()} (half of a "
                "UTF-16 pair) that UTF-8 cannot hold; fix the escape or remove it",
                item,
            )
        if _is_goldwire(obj):
            return self._goldwire(obj, source, where, item)
        return self._article(obj, source, where, item, keys, options)

    # ---- goldwire documents, kept as they are

    def _goldwire(
        self, obj: dict[str, Any], source: str, where: str, item: str
    ) -> Document | Rejection:
        if not unicodedata.is_normalized("NFC", obj["text"]):
            return Rejection(
                source,
                "schema",
                f"{where}: the goldwire document's text is not Unicode NFC, so its offsets "
                "cannot be kept; normalise the text (NFC) and its offsets before importing",
                item,
            )
        try:
            doc = Document.from_json({"id": "", **obj}, where=where)
        except SchemaError as exc:
            msg = str(exc)
            return Rejection(
                source, "schema", msg if msg.startswith(where) else f"{where}: {msg}", item
            )
        if doc.source and doc.source != where:
            doc.meta["original_source"] = doc.source
        if doc.meta.get("reader", self.name) != self.name:
            doc.meta["original_reader"] = doc.meta["reader"]
        doc.id = ""
        doc.source = where
        doc.meta["reader"] = self.name
        return doc

    # ---- article objects, mapped field by field

    def _article(
        self,
        obj: dict[str, Any],
        source: str,
        where: str,
        item: str,
        keys: dict[str, tuple[str, ...]],
        options: ReadOptions,
    ) -> Document | Rejection:
        values: dict[str, Any] = {}
        found: dict[str, str] = {}  # goldwire field -> the JSON key it was read from
        for name, candidates in keys.items():
            for key in candidates:
                value = lookup(obj, key)
                if value is not _MISSING and value is not None:
                    values[name], found[name] = value, key
                    break
        text = values.get("text")
        if text is None:
            tried = " or ".join(repr(k) for k in keys["text"])
            return Rejection(
                source,
                "schema",
                f"{where}: no {tried} field; map the article text with --field text=KEY",
                item,
            )
        if isinstance(text, list) and all(isinstance(p, str) for p in text):
            text = values["text"] = "\n\n".join(text)
        for name, value in values.items():
            if not isinstance(value, str) and (name == "text" or _scalar(value) is None):
                return Rejection(
                    source,
                    "schema",
                    f"{where}: field {found[name]!r} ({name}) is a JSON {_json_type(value)}, "
                    f"not a string; map another key with --field {name}=KEY",
                    item,
                )
        strings = {n: normalize_text(_scalar(v) or "") for n, v in values.items() if n != "text"}
        parts = _wire_parts(normalize_text(text), strings.get("title", ""), strings.get("lead", ""))
        if not parts.body:
            return Rejection(
                source,
                "no-body",
                f"{where}: the article text is empty"
                + (" apart from its title" if parts.title else "")
                + "; give the line a non-empty text or map another key with --field text=KEY",
                item,
            )
        meta = _meta(obj, {key if key in obj else key.split(".", 1)[0] for key in found.values()})
        doc = wire_document(parts, where, self.name, options, meta)
        self._apply_fields(doc, strings)
        return doc

    def _apply_fields(self, doc: Document, strings: dict[str, str]) -> None:
        """Mapped fields override what the text's dateline says."""
        date = strings.get("published", "").strip()
        if date:
            iso = parse_date(date)
            if iso is not None:
                doc.published, doc.published_raw = iso, date
            else:
                doc.meta["published_unparsed"] = date
        for name in ("agency", "dateline", "language"):
            value = " ".join(strings.get(name, "").split())
            if value:
                setattr(doc, name, value.lower() if name == "language" else value)
        if strings.get("id", "").strip():
            doc.meta["source_id"] = strings["id"].strip()
        split = strings.get("split", "").strip()
        if split:
            if split.lower() in SPLITS:
                doc.meta["split"] = SPLITS[split.lower()]
            else:
                doc.meta["source_split"] = split
        doc.meta["reader"] = self.name


def _wire_parts(text: str, title: str, lead: str) -> WireParts:
    """Title, lead and body in the wire layout; a body paragraph repeating them is removed."""
    title = " ".join(title.split())
    lead = "\n".join(split_paragraphs(lead))
    body = body_paragraphs(text)
    removed = []
    if title and body and _key(body[0]) == _key(title):
        body = body[1:]
        removed.append("title-repeat")
    parts = parse_wire([title, *body])
    parts.removed = removed + parts.removed
    if lead:
        lead_key = _key(lead)
        if parts.lead and _key(parts.lead) != lead_key:
            parts.lead = lead + "\n" + parts.lead
        else:
            parts.lead = lead
        kept = [p for p in parts.body if _key(p) != lead_key]
        if len(kept) != len(parts.body) and "lead-repeat" not in parts.removed:
            parts.removed.append("lead-repeat")
        parts.body = kept
    return parts


def _meta(obj: dict[str, Any], used: set[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    unused = []
    for key, value in obj.items():
        if key in used or value is None:
            continue
        text = _scalar(value)
        if text is None:
            unused.append(key)
        else:
            meta[key] = text
    if unused:
        meta["unused_fields"] = ",".join(unused)
    return meta


def _utf8_ok(obj: Any) -> bool:
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_goldwire(obj: dict[str, Any]) -> bool:
    return (
        isinstance(obj.get("text"), str)
        and isinstance(obj.get("paragraphs"), list)
        and any(k in obj for k in GOLDWIRE_KEYS)
    )


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"
