"""Uploading a push's new documents into one Doccano project: send, settle, check, reconcile.

The upload lines (:func:`~goldwire.annotate.records.upload_line`) go in batches
(:func:`make_batches`: at most 1,000 documents, 4 MiB and 20,000 suggested spans, far below
doccano's 1 GiB upload limit; a 413 answer halves the batch), two in flight so the task
worker never idles. Each batch is journaled in the project's
:class:`~goldwire.annotate.push_state.PushState` before its import starts, so a push that
was interrupted waits for it when rerun (:meth:`Uploader.resume`). Once a batch's import is
done its errors are reported and the examples that arrived are counted by upload id;
duplicates made by the server's retries are deleted (the lowest example id per goldwire id
stays), documents that did not arrive are reported. The wait for a batch's import is bounded
by the batch's size, and ends at once when the managed server's task worker is dead
(:func:`~goldwire.annotate.tasks.wait_task`).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from goldwire.annotate import client
from goldwire.annotate.http import DoccanoSession
from goldwire.annotate.push_report import PushReport
from goldwire.annotate.push_state import ServerExample, Target
from goldwire.annotate.records import META_ID, encode_line, upload_line
from goldwire.progress import Progress, no_progress
from goldwire.schema import Document

BATCH_DOCS = 1000  # also doccano's IMPORT_BATCH_SIZE: one batch is one chunk of the importer
BATCH_BYTES = 4 * 2**20
BATCH_SPANS = 20_000  # the importer puts all span uuids of a batch in one SQL IN (...)
IN_FLIGHT = 2


@dataclass
class _Batch:
    docs: list[Document] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)
    counts: list[Counter] = field(default_factory=list)  # suggestions per line, by label

    def split(self) -> list[_Batch]:
        at = len(self.docs) // 2
        return [
            _Batch(self.docs[part], self.lines[part], self.counts[part])
            for part in (slice(0, at), slice(at, None))
        ]


def make_batches(
    docs: list[Document],
    lines: list[bytes],
    labels: list[Counter],
    *,
    max_docs: int = BATCH_DOCS,
    max_bytes: int = BATCH_BYTES,
) -> Iterator[_Batch]:
    """Group upload lines into batches of at most ``max_docs`` lines, ``max_bytes`` bytes
    and ``BATCH_SPANS`` spans (a longer line goes alone)."""
    batch = _Batch()
    nbytes = nlabels = 0
    for doc, line, counts in zip(docs, lines, labels, strict=True):
        n = sum(v for k, v in counts.items() if k.startswith("span:"))
        full = len(batch.docs) >= max_docs or nbytes + len(line) > max_bytes
        if batch.docs and (full or nlabels + n > BATCH_SPANS):
            yield batch
            batch, nbytes, nlabels = _Batch(), 0, 0
        batch.docs.append(doc)
        batch.lines.append(line)
        batch.counts.append(counts)
        nbytes += len(line)
        nlabels += n
    if batch.docs:
        yield batch


@dataclass
class Uploader:
    """Uploads documents into the projects of one push, reporting into ``report``."""

    session: DoccanoSession
    report: PushReport
    progress: Progress = no_progress
    _: KW_ONLY
    batch_docs: int = BATCH_DOCS
    batch_bytes: int = BATCH_BYTES

    def resume(self, target: Target) -> None:
        """Wait for batches an interrupted push left in flight, and check what they did."""
        state = target.record
        for entry in list(state.pending):
            self.progress(f"{target.name}: waiting for an earlier push's batch", 0, 1)
            self.check_batch(target, entry, resumed=True)
            target.report.resumed_batches += 1
            state.pending.remove(entry)
            state.save_journal()
            state.forget()

    def upload(
        self, target: Target, new: list[Document], *, with_suggestions: bool = True
    ) -> list[Document]:
        """Upload ``new`` (with their suggestions, unless ``with_suggestions`` is off);
        returns the documents that arrived."""
        if not new:
            return []
        lines, counts = [], []
        for doc in new:
            s = target.suggestions.get(doc.id) if with_suggestions else None
            lines.append(encode_line(upload_line(doc, target.project, s)))
            counts.append(s.counts() if s else Counter())
        batches = deque(
            make_batches(new, lines, counts, max_docs=self.batch_docs, max_bytes=self.batch_bytes)
        )
        total, done = len(new), 0
        phase = f"{target.name}: uploading"
        self.progress(phase, 0, total)
        in_flight: deque[tuple[_Batch, dict[str, Any]]] = deque()
        arrived: list[Document] = []
        while batches or in_flight:
            if batches and len(in_flight) < IN_FLIGHT:
                batch = batches.popleft()
                entry = self._send(target, batch, batches)
                if entry is not None:
                    in_flight.append((batch, entry))
                continue
            batch, entry = in_flight.popleft()
            arrived += self._settle(target, batch, entry)
            done += len(batch.docs)
            self.progress(phase, done, total)
        target.report.uploaded += len(arrived)
        return arrived

    def _send(self, target: Target, batch: _Batch, rest: deque) -> dict[str, Any] | None:
        """Upload one batch and start its import; a 413 answer splits it in two."""
        name = f"goldwire-{target.project.id}-{batch.docs[0].id}-{len(batch.docs)}.jsonl"
        try:
            upload_id = client.upload_file(self.session, b"".join(batch.lines), name)
        except client.UploadTooLarge:
            if len(batch.docs) == 1:
                raise
            for part in reversed(batch.split()):
                rest.appendleft(part)
            return None
        state = target.record
        entry = {
            "upload_id": upload_id,
            "task_id": None,
            "docs": [[d.id, d.text_sha256] for d in batch.docs],
        }
        state.pending.append(entry)
        state.save_journal()
        entry["task_id"] = client.start_import(self.session, target.project, upload_id)
        state.save_journal()
        target.report.batches += 1
        return entry

    def _settle(self, target: Target, batch: _Batch, entry: dict[str, Any]) -> list[Document]:
        ok = self.check_batch(target, entry)
        state = target.record
        state.pending.remove(entry)
        state.save_journal()
        return [d for d in batch.docs if d.id in ok]

    def check_batch(
        self, target: Target, entry: dict[str, Any], *, resumed: bool = False
    ) -> set[str]:
        """After a batch's import: report its errors, count what arrived (by upload id),
        delete duplicates the server made, report documents that did not arrive. Returns the
        goldwire ids that are there now."""
        expected = {gid: sha for gid, sha in entry["docs"]}
        order = [gid for gid, _ in entry["docs"]]
        if entry.get("task_id"):
            self._import_errors(target, entry["task_id"], order)
        upload_id = entry["upload_id"]
        count = client.example_count(self.session, target.project.id, search=upload_id)
        if count == len(order):
            there = set(order)
        else:
            there = self._reconcile(target, upload_id, expected, report_missing=not resumed)
        for gid in there:
            target.index.by_gid[gid] = [ServerExample(None, expected[gid])]
        return there

    def _import_errors(self, target: Target, task_id: str, order: list[str]) -> None:
        """Wait for the import task; report its failure and the importer's errors by line."""
        status = client.wait_task(self.session, task_id, examples=len(order))
        if status.error:
            self.report.add(
                "import_failed",
                None,
                f"doccano's import of a batch of {len(order)} "
                f"documents failed ({status.error}); what arrived is kept",
                project=target.name,
            )
        result = status.result if isinstance(status.result, dict) else {}
        for err in result.get("error") or []:
            line = int(err.get("line", 0))
            gid = order[line - 1] if 0 < line <= len(order) else None
            self.report.add(
                "import_error",
                gid,
                f"doccano's importer: {err.get('message')}",
                project=target.name,
            )

    def _reconcile(
        self, target: Target, upload_id: str, expected: dict[str, str], *, report_missing: bool
    ) -> set[str]:
        examples = list(client.list_examples(self.session, target.project.id, search=upload_id))
        by_gid: dict[str, list[int]] = {}
        for ex in examples:
            gid = (ex.get("meta") or {}).get(META_ID)
            if gid in expected and upload_id in str(ex.get("filename", "")):
                by_gid.setdefault(gid, []).append(int(ex["id"]))
        extras = [i for ids in by_gid.values() for i in sorted(ids)[1:]]
        if extras:
            client.delete_examples(self.session, target.project.id, extras)
            target.report.duplicates_removed += len(extras)
            self.report.notes.append(
                f"{target.name}: the server imported a batch more than once (its import task "
                f"is retried without a transaction); deleted {len(extras)} duplicate "
                "example(s), kept the lowest example id per goldwire id"
            )
        for gid in expected if report_missing else ():
            if gid not in by_gid:
                self.report.add(
                    "not_imported",
                    gid,
                    "uploaded but not in doccano after the import; push again to retry",
                    project=target.name,
                )
        return set(by_gid)
