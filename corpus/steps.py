"""The per-file steps of a corpus build: pure functions an engine runs, in-process, in worker
processes or in Ray tasks.

:func:`process_file` reads one file's bytes and :func:`process_bytes` turns them into a
:class:`FileResult`: decoded (the reader's own encoding when it declares one, else sniffed),
normalised, parsed by the chosen or detected reader, and each document finalised
(:func:`finalize`: id from its text, hash, language, span check) and encoded as a dataset row
with its MinHash signature. Whatever cannot be used becomes a
:class:`~goldwire.corpus.readers.Rejection` record: nothing is dropped silently.
"""

from __future__ import annotations

import functools
import signal
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from goldwire.console import shown_name, stored_name
from goldwire.corpus.config import BuildConfig
from goldwire.corpus.dedup import signature
from goldwire.corpus.normalize import decode_bytes, normalize_text
from goldwire.corpus.readers import AUTO_ORDER, READERS, Reader, Rejection, detect, get_reader
from goldwire.corpus.sources import renamed, source_name
from goldwire.corpus.split import SPLITS
from goldwire.errors import InputError, MissingDependencyError, SchemaError
from goldwire.features import features, row_encoder
from goldwire.outputs import HELD_SIGNALS
from goldwire.schema import Document, LabelSchema, document_id

_HEAD = 8192


@dataclass
class FileResult:
    path: str
    reader: str | None
    encoding: str | None
    docs: list[tuple[dict[str, Any], np.ndarray | None]]
    rejections: list[Rejection]
    documents_seen: int = 0

    def summary(self) -> dict[str, Any]:
        """Everything but the rows (for engines that keep the rows elsewhere)."""
        return {
            "path": self.path,
            "reader": self.reader,
            "encoding": self.encoding,
            "documents_seen": self.documents_seen,
            "docs": len(self.docs),
            "rejections": [r.to_json() for r in self.rejections],
        }

    @classmethod
    def from_summary(cls, data: dict[str, Any]) -> FileResult:
        rejections = [Rejection.from_json(r) for r in data["rejections"]]
        return cls(data["path"], data["reader"], data["encoding"], [], rejections,
                   data["documents_seen"])  # fmt: skip


# --------------------------------------------------------------------------- worker processes

_WORKER_CONFIG: BuildConfig | None = None
_WORKER_SHARDS: Path | None = None


def init_worker(config: BuildConfig, shards: Path | None = None) -> None:
    """A worker process's initialiser: the build's settings, sent once per process. SIGTERM
    and SIGHUP get their default action back (the command's handler is inherited by the
    fork): the pool stops its workers with SIGTERM, which must end one even while it waits
    on the pool's queue lock. The stop signals the pool's creator blocked are unblocked.
    ``shards``: the folder :func:`process_chunk_in_worker` writes its Arrow shards into."""
    global _WORKER_CONFIG, _WORKER_SHARDS
    _WORKER_CONFIG = config
    _WORKER_SHARDS = shards
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)


def process_in_worker(path: str) -> FileResult:
    """:func:`process_file` with the settings :func:`init_worker` received."""
    assert _WORKER_CONFIG is not None
    return process_file(Path(path), _WORKER_CONFIG)


@dataclass
class ChunkResult:
    """A chunk of files processed in a worker: the kept rows went to the Arrow shard ``shard``
    (None when there were none), in file order; what the build's own process needs comes
    back: each file's result without its rows and the number of rows it kept, and per row its
    id, source, preset split and signature (``sigs``, one row each, or None)."""

    files: list[tuple[FileResult, int]]
    ids: list[str]
    sources: list[str]
    preset: list[str | None]
    sigs: np.ndarray | None
    shard: str | None


def shard_name(index: int) -> str:
    """The file name of chunk ``index``'s shard: names sort in chunk order."""
    return f"shard-{index:08d}.arrow"


def process_chunk_in_worker(task: tuple[int, list[str]]) -> ChunkResult:
    """:func:`process_file` over a chunk ``(index, paths)`` of files with the settings
    :func:`init_worker` received, the rows written to the worker's own shard."""
    assert _WORKER_CONFIG is not None and _WORKER_SHARDS is not None
    from datasets.arrow_writer import ArrowWriter

    index, paths = task
    config = _WORKER_CONFIG
    out = ChunkResult([], [], [], [], None, None)
    sigs: list[np.ndarray] = []
    writer = None
    try:
        for path in paths:
            res = process_file(Path(path), config)
            for row, sig in res.docs:
                if writer is None:
                    out.shard = str(_WORKER_SHARDS / shard_name(index))
                    writer = ArrowWriter(features=_features_for(config.labels), path=out.shard)
                writer.write(row)
                out.ids.append(row["id"])
                out.sources.append(row["source"])
                out.preset.append(preset_split(row["meta"]))
                if sig is not None:
                    sigs.append(sig)
            out.files.append((res, len(res.docs)))
            res.docs = []
    finally:
        if writer is not None:
            writer.finalize()
            writer.close()
    out.sigs = np.stack(sigs) if sigs else None
    return out


# --------------------------------------------------------------------------- one file


def process_file(path: Path, config: BuildConfig) -> FileResult:
    """Read, decode, parse and finalise every document of one file (pure)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        source = source_name(path, config.inputs)
        return FileResult(
            source,
            None,
            None,
            [],
            [Rejection(source, "unreadable",
                       f"{shown_name(source)}: cannot read ({exc.strerror or exc})")],
        )  # fmt: skip
    return process_bytes(path, data, config)


def process_bytes(path: Path, data: bytes, config: BuildConfig) -> FileResult:
    """Decode, parse and finalise every document of one file's bytes (pure).

    Nothing in one file stops the build: any exception (not a BaseException such as
    KeyboardInterrupt) becomes a Rejection of the file, or of the record it came from.
    Sources are named relative to the input roots (:mod:`goldwire.corpus.sources`)."""
    source = source_name(path, config.inputs)
    result = FileResult(source, None, None, [], [])
    try:
        _process(path, data, config, result)
    except ImportError as exc:  # the installation, not the input: stop with one line
        raise MissingDependencyError(
            f"{exc.name or exc} is not installed (needed to read {shown_name(source)}); "
            "goldwire's dependencies are incomplete: reinstall it with `pip install goldwire`"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - one bad file is a rejection, never a crash
        result.documents_seen += 1  # counted as a document when the file has some
        result.rejections.append(
            Rejection(source, "unparseable", f"{shown_name(source)}: {_failure(exc)}")
        )
    return result


def _process(path: Path, data: bytes, config: BuildConfig, result: FileResult) -> None:
    source = result.path
    shown = shown_name(source)
    reader = _declared_encoding_reader(path, data, config)
    try:
        if config.encoding is None and reader is not None and reader.encoding:
            text, encoding = data.decode(reader.encoding), reader.encoding  # no sniffing
        else:
            text, encoding = decode_bytes(data, shown, config.encoding)
    except UnicodeDecodeError as exc:
        result.rejections.append(Rejection(source, "undecodable", f"{shown}: {exc}"))
        return
    except InputError as exc:
        reason = getattr(exc, "reason", "undecodable")
        result.rejections.append(Rejection(source, reason, str(exc)))
        return
    result.encoding = encoding
    text = normalize_text(text)
    if reader is None and config.format == "auto":
        reader = detect(path, text[:_HEAD])
        if reader is None:
            result.rejections.append(
                Rejection(
                    source,
                    "unknown-format",
                    f"{shown}: no reader recognises this file; pass --format "
                    f"({', '.join(READERS)})",
                )
            )
            return
    elif reader is None:
        reader = get_reader(config.format)
    result.reader = reader.name
    _parse(reader, path, text, encoding, config, result)


def _parse(reader: Reader, path: Path, text: str, encoding: str, config: BuildConfig,
           result: FileResult) -> None:  # fmt: skip
    """The reader's documents, finalised and encoded into ``result`` (or rejected); a reader
    that fails part way keeps the documents it gave, and the rest is one rejection. Readers
    name ``path`` in sources and messages; they become the file's source name."""
    raw, source = str(path), result.path
    shown = shown_name(source)
    items = _items(reader, path, text, config)
    while True:
        try:
            item = next(items)
        except StopIteration:
            if not result.documents_seen:  # a file never vanishes without a word
                message = (f"{shown}: the {reader.name} reader found no document in this file; "
                           "check its content or pass another --format")  # fmt: skip
                result.rejections.append(Rejection(source, "no-documents", message))
            return
        except InputError as exc:
            rej = Rejection(source, "unparseable", str(exc))
            result.rejections.append(_named(rej, raw, source))
            return
        except ImportError:
            raise
        except Exception as exc:  # noqa: BLE001 - a reader's failure rejects the rest
            where = f" after document {result.documents_seen}" if result.documents_seen else ""
            result.documents_seen += 1
            message = f"{shown}: the {reader.name} reader stopped{where}; the rest {_failure(exc)}"
            result.rejections.append(Rejection(source, "unparseable", message))
            return
        result.documents_seen += 1
        if isinstance(item, Rejection):
            result.rejections.append(_named(item, raw, source))
            continue
        if item.source:
            item.source = renamed(item.source, raw, source)
        try:
            row = finalize(item, encoding, config)
            sig = signature(row["text"], config.minhash) if config.minhash else None
            result.docs.append((_encoder_for(config.labels)(row), sig))
        except SchemaError as exc:
            rej = Rejection(item.source or source, "schema", str(exc))
            result.rejections.append(_named(rej, raw, source))
        except ImportError:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad record is a rejection
            where = item.source or source
            rej = Rejection(where, "schema", f"{where}: {_failure(exc)}")
            result.rejections.append(_named(rej, raw, source))


def _items(reader: Reader, path: Path, text: str, config: BuildConfig) -> Iterator[Any]:
    """The reader's items, lazily: a reader failing when called fails at the first item."""
    yield from reader.read(path, text, config.read)


def _named(rej: Rejection, raw: str, source: str) -> Rejection:
    """The rejection with its file's path (readers write ``str(path)``) replaced by its source
    name, shown safely in the message."""
    rej.source = renamed(rej.source, raw, source)
    rej.message = renamed(rej.message, raw, shown_name(source))
    return rej


def _failure(exc: Exception) -> str:
    """One line on an unexpected failure: what it was and what to do."""
    if isinstance(exc, RecursionError):
        what = "RecursionError: nested too deeply"
    else:
        detail = " ".join(str(exc).split())[:200]
        what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"cannot be read ({stored_name(shown_name(what))}); fix or remove this input"


def _declared_encoding_reader(path: Path, data: bytes, config: BuildConfig) -> Reader | None:
    """The reader for this file when it declares its own encoding (``Reader.encoding``)."""
    if config.format != "auto":
        reader = get_reader(config.format)
        return reader if reader.encoding else None
    for name in AUTO_ORDER:
        reader = READERS[name]
        if reader.encoding and reader.sniff(
            path, data[:_HEAD].decode(reader.encoding, errors="replace")
        ):
            return reader
    return None


# --------------------------------------------------------------------------- one document


def finalize(doc: Document, encoding: str, config: BuildConfig) -> dict[str, Any]:
    """Fill id, hash, language and encoding; check every span; return the dataset row.

    A SchemaError when the text is not NFC or a field cannot be written as UTF-8 (a lone
    surrogate, from a JSON ``\\ud800`` escape), naming the record and the field."""
    _check_utf8(doc)
    if not unicodedata.is_normalized("NFC", doc.text):
        raise SchemaError(
            f"{doc.source}: the reader produced text that is not NFC; this is a goldwire bug, "
            "please report it with the file"
        )
    doc.id = document_id(doc.text)
    doc.text_sha256 = ""
    doc.__post_init__()
    if not doc.language:
        doc.language = detect_language(doc.text)
    doc.meta.setdefault("encoding", encoding)
    doc.validate(config.labels)
    doc.source = stored_name(doc.source)
    return doc.to_row()


_STRING_FIELDS = ("text", "title", "lead", "agency", "dateline", "published",
                  "published_raw", "language")  # fmt: skip


def _check_utf8(doc: Document) -> None:
    """SchemaError naming the first field UTF-8 cannot hold (a lone surrogate, from a JSON
    ``\\ud800`` escape), before it reaches the Arrow writer. One ``encode`` of the fields
    joined (about 10 microseconds for a Reuters story with its 11 meta fields, some 1% of the
    per-document step); the fields one by one only to name the bad one.
    Entity texts are slices of the checked text; file names in ``source`` are stored as
    :func:`~goldwire.console.stored_name`."""
    values = [(name, getattr(doc, name)) for name in _STRING_FIELDS]
    for key, value in doc.meta.items():
        values += [(f"meta key {key!r}", key), (f"meta {key!r}", value)]
    try:
        "".join(v for _, v in values if isinstance(v, str)).encode("utf-8")
        return
    except UnicodeEncodeError:
        pass
    for name, value in values:
        try:
            if isinstance(value, str):
                value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise SchemaError(
                f"{doc.source}: field {name} holds {ascii(value[exc.start])} at character "
                f"{exc.start}, a lone surrogate that UTF-8 cannot hold (a JSON \\ud800-style "
                "escape without its pair?); fix the escape in the input"
            ) from None


@functools.lru_cache(maxsize=4)
def _encoder_for(labels: LabelSchema):
    return row_encoder(labels)


@functools.lru_cache(maxsize=4)
def _features_for(labels: LabelSchema):
    return features(labels)


_LANGID = None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from py3langid (its model ships inside the package), None if unsure."""
    global _LANGID
    if _LANGID is None:
        import py3langid

        _LANGID = py3langid
    sample = text[:1000]
    if sum(ch.isalpha() for ch in sample) < 20:
        return None
    lang, _ = _LANGID.classify(sample)
    return lang


def preset_split(meta: list[dict[str, str]] | None) -> str | None:
    """The reader's own split of an encoded row (CoNLL-2003 brings one), if it is ours."""
    split = meta and _meta_get(meta, "split")
    return split if split in SPLITS else None


def _meta_get(meta: list[dict[str, str]], key: str) -> str | None:
    for kv in meta:
        if kv["key"] == key:
            return kv["value"]
    return None
