"""Training, prediction and benchmarks as plain functions (the commands call these).

* :func:`train`: fit a model on a corpus split (and use the validation split where the model
  tunes something), save it to a folder.
* :func:`predict`: run a model over a corpus split (or a JSONL file) and write predictions as
  goldwire JSONL, timing the model and measuring memory.
* :func:`benchmark`: for several models, train where needed, predict, score with the evaluate
  stage (:func:`goldwire.evaluate.scoring.score_documents`), write its report
  (:func:`goldwire.evaluate.report.write_report`, the benchmark's caveats part of the report
  model) for each task and a summary with time per 1,000 documents and peak memory per model
  (rendered by :mod:`goldwire.evaluate.models.summary`).

Each job (train or predict one model) runs here or, isolated, in a fresh Python process
(``python -m goldwire.evaluate.models.run``). Progress goes through the one protocol,
``progress(phase, done, total)`` (:mod:`goldwire.progress`); what a job took is in its result.
Files are written through :mod:`goldwire.files`.

**Memory.** Peak resident memory (RSS) is sampled every 5 ms by
:class:`goldwire.memory.PeakMemory` while the model works, and taken from ``getrusage`` (the
exact high-water mark) when each phase runs in its own process (``isolate=True``, the
default of ``benchmark``: training and prediction of each model in a fresh Python process, so
no model inherits another's memory). The figures include the Python interpreter, the
libraries and the loaded documents; ``rss_before_mb`` is what the process held just before
the model started.

**Time.** ``seconds`` covers the model's work only (fitting and saving; predicting and writing
the predictions), not loading documents or the model; ``seconds_per_1000`` is prediction time
per 1,000 documents.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.errors import InputError, UsageError
from goldwire.evaluate.inputs import GoldSet, load_gold, no_gold_message
from goldwire.evaluate.models import create_model, load_model, model_class, parse_spec
from goldwire.evaluate.models.base import Model, query_document, read_meta
from goldwire.evaluate.models.taskscore import caveats, score_and_report
from goldwire.evaluate.selection import Coverage, with_gold
from goldwire.files import write_json, write_text
from goldwire.memory import PeakMemory, max_rss_mb
from goldwire.progress import Progress, no_progress
from goldwire.schema import Document, write_jsonl

# --------------------------------------------------------------------------- documents


def load_documents(source: str | Path, split: str) -> GoldSet:
    """Every document (with gold or not) and the label schema of a corpus split, or of a
    goldwire JSONL file; which to use is :func:`goldwire.evaluate.selection.with_gold`'s."""
    return load_gold(source, split=split, include_unannotated=True)


def _optional_split(source: str | Path, split: str | None) -> list[Document]:
    if not split or not Path(source).is_dir():
        return []
    try:
        return load_documents(source, split).docs
    except UsageError:  # the corpus has no such split
        return []


# --------------------------------------------------------------------------- train


@dataclass
class TrainResult:
    model: str
    out: str
    documents: int
    validation_documents: int
    seconds: float
    rss_before_mb: float
    peak_rss_mb: float
    training: dict[str, Any] = field(default_factory=dict)
    left_out: int = 0  # training documents without gold on the model's layer
    validation_left_out: int = 0
    notes: list[str] = field(default_factory=list)  # what was left out and why

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def train(
    model: str,
    corpus: str | Path,
    out: str | Path,
    *,
    split: str = "train",
    validation_split: str | None = "validation",
    params: dict[str, Any] | None = None,
    include_unannotated: bool = False,
) -> TrainResult:
    """Fit model ``model`` (a name) on ``corpus``'s ``split`` and save it to ``out``.

    Only documents with gold on the model's layer (its :class:`Task`) are trained on, in the
    validation split too; ``include_unannotated`` uses every document, one without gold as
    gold with no labels."""
    cls = model_class(model)
    if not cls.trainable:
        raise UsageError(f"{model} is training-free; use it as it is: --model {model}")
    gold = load_documents(corpus, split)
    if not gold.docs:
        raise UsageError(f"{corpus} [{split}] has no documents to train on")
    layer = cls.task.value
    docs, coverage = _layer_gold(gold, layer, include_unannotated)
    validation, val_coverage = with_gold(
        _optional_split(corpus, validation_split), layer, include_unannotated=include_unannotated
    )
    labels = gold.labels
    params = dict(params or {})
    if labels is not None and labels.doc_stance_targets and "targets" in _init_names(cls):
        params.setdefault("targets", list(labels.doc_stance_targets))
    instance = create_model(model, params)
    with PeakMemory() as mem:
        started = time.perf_counter()
        info = instance.fit(docs, validation)
        instance.training = {
            **info,
            "corpus": str(corpus),
            "split": split,
            "validation_split": validation_split if validation else None,
        }
        instance.save(out)
        seconds = time.perf_counter() - started
    notes = coverage.notes("trained on")
    notes += [f"validation: {n}" for n in val_coverage.notes("trained on")]
    return TrainResult(
        model,
        str(out),
        len(docs),
        len(validation),
        round(seconds, 3),
        round(mem.before, 1),
        round(mem.peak, 1),
        instance.training,
        len(coverage.left_out),
        len(val_coverage.left_out),
        notes,
    )


def _layer_gold(
    gold: GoldSet, layer: str, include_unannotated: bool
) -> tuple[list[Document], Coverage]:
    """The documents with gold on ``layer`` (all with ``include_unannotated``), or an error
    naming the split when there are none."""
    docs, coverage = with_gold(gold.docs, layer, include_unannotated=include_unannotated)
    if not docs:
        noun = coverage.layers[layer].noun
        raise InputError(no_gold_message(gold.where, coverage.without_gold, f"gold {noun}"))
    return docs, coverage


def _init_names(cls: type[Model]) -> set[str]:
    import inspect

    return set(inspect.signature(cls.__init__).parameters)


# --------------------------------------------------------------------------- predict


@dataclass
class PredictResult:
    model: str
    out: str
    documents: int
    seconds: float
    load_seconds: float
    rss_before_mb: float
    peak_rss_mb: float
    predicted: dict[str, int] = field(default_factory=dict)

    @property
    def docs_per_second(self) -> float | None:
        return round(self.documents / self.seconds, 1) if self.seconds > 0 else None

    @property
    def seconds_per_1000(self) -> float | None:
        return round(1000 * self.seconds / self.documents, 3) if self.documents else None

    def to_dict(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "docs_per_second": self.docs_per_second,
            "seconds_per_1000": self.seconds_per_1000,
        }


def predict(
    model: str | Model,
    source: str | Path,
    out: str | Path,
    *,
    split: str = "test",
    progress: Progress = no_progress,
    only_gold: bool = False,
) -> PredictResult:
    """Run ``model`` (``NAME[:PATH]`` or a Model) over ``source``'s ``split`` (a corpus) or
    over a goldwire JSONL file, writing the predictions to ``out`` (goldwire JSONL); reports
    ``progress("predicting with NAME", documents done, documents)``. ``only_gold``: only
    the documents with gold on the model's layer (those a benchmark scores)."""
    started = time.perf_counter()
    instance = load_model(model) if isinstance(model, str) else model
    instance.check_fitted()
    docs = load_documents(source, split).docs
    if only_gold:
        docs = with_gold(docs, instance.task.value)[0]
    load_seconds = time.perf_counter() - started
    counts = {instance.task.value: 0}
    spec = model if isinstance(model, str) else instance.name
    phase, total = f"predicting with {spec}", len(docs)

    def run() -> Iterator[Document]:
        progress(phase, 0, total)
        queries = (query_document(d, instance.reads) for d in docs)
        for i, pred in enumerate(instance.predict(queries), 1):
            counts[instance.task.value] += len(getattr(pred, instance.task.value))
            progress(phase, i, total)
            yield pred

    with PeakMemory() as mem:
        started = time.perf_counter()
        n = write_jsonl(run(), out)
        seconds = time.perf_counter() - started
    return PredictResult(
        spec,
        str(out),
        n,
        round(seconds, 4),
        round(load_seconds, 3),
        round(mem.before, 1),
        round(mem.peak, 1),
        counts,
    )


# --------------------------------------------------------------------------- isolation


Job = Callable[[dict[str, Any], Progress], dict[str, Any]]


def _train_job(args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    result = train(**args).to_dict()
    result["peak_rss_mb"] = round(max(result["peak_rss_mb"], max_rss_mb()), 1)
    return result


def _predict_job(args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = predict(**args, progress=progress).to_dict()
    result["peak_rss_mb"] = round(max(result["peak_rss_mb"], max_rss_mb()), 1)
    result["warnings"] = [str(w.message) for w in caught]
    return result


JOBS: dict[str, Job] = {"train": _train_job, "predict": _predict_job}


def _run_job(
    kind: str, args: dict[str, Any], isolate: bool, progress: Progress = no_progress
) -> dict[str, Any]:
    """Run a job here (``progress`` passed on), or (``isolate``) in a fresh Python process:
    ``python -m goldwire.evaluate.models.run`` reads the job as JSON on stdin and writes the
    result (or the goldwire error it raised) as JSON to a file."""
    if not isolate:
        return JOBS[kind](args, progress)
    import subprocess
    import tempfile

    from goldwire import errors

    with tempfile.TemporaryDirectory(prefix="goldwire-job-") as tmp:
        result_path = Path(tmp) / "result.json"
        payload = json.dumps({"kind": kind, "args": args, "result": str(result_path)})
        proc = subprocess.run(
            [sys.executable, "-m", "goldwire.evaluate.models.run"],
            input=payload,
            text=True,
            capture_output=True,
            check=False,
        )
        if not result_path.is_file():
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise errors.GoldwireError(
                f"the {kind} process for {args.get('model')} failed (exit code "
                f"{proc.returncode}): {tail}; run with --no-isolate to see the traceback"
            )
        data = json.loads(result_path.read_text(encoding="utf-8"))
    if "error" in data:
        cls = getattr(errors, data["error"]["type"], errors.GoldwireError)
        if not (isinstance(cls, type) and issubclass(cls, errors.GoldwireError)):
            cls = errors.GoldwireError
        raise cls(data["error"]["message"])
    return data["result"]


def _child_main() -> None:
    """Entry point of an isolated job (see :func:`_run_job`)."""
    from goldwire.errors import GoldwireError

    job = json.loads(sys.stdin.read())
    try:
        out: dict[str, Any] = {"result": JOBS[job["kind"]](job["args"], no_progress)}
    except GoldwireError as exc:
        out = {"error": {"type": type(exc).__name__, "message": str(exc)}}
    write_json(job["result"], out, indent=None, default=str)


# --------------------------------------------------------------------------- benchmark


@dataclass
class ModelRun:
    """One model of a benchmark: how it was trained, predicted and scored."""

    name: str
    spec: str
    model: str
    task: str
    trained: dict[str, Any] | None = None
    predicted: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class BenchmarkResult:
    out: str
    gold: str
    split: str | None
    documents: int
    runs: list[ModelRun]
    reports: dict[str, list[str]]
    caveats: list[str]
    command: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": self.out,
            "gold": self.gold,
            "split": self.split,
            "documents": self.documents,
            "command": self.command,
            "caveats": self.caveats,
            "reports": self.reports,
            "runs": [r.to_dict() for r in self.runs],
        }


def _run_names(specs: Sequence[str]) -> list[str]:
    names: list[str] = []
    for spec in specs:
        name, path = parse_spec(spec)
        base = name if path is None else f"{name}:{Path(path).name}"
        candidate, k = base, 2
        while candidate in names:
            candidate, k = f"{base}#{k}", k + 1
        names.append(candidate)
    return names


def _file_name(run_name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_name)


def split_models(models: str | Iterable[str]) -> list[str]:
    """``"a,b:path"`` or a list -> model specs, empty items dropped."""
    items = models.split(",") if isinstance(models, str) else list(models)
    specs = [m.strip() for m in items if m.strip()]
    if not specs:
        raise UsageError("give at least one model: --models gazetteer,sklearn-ner")
    return specs


def benchmark(
    models: str | Sequence[str],
    out: str | Path,
    *,
    corpus: str | Path | None = None,
    gold: str | Path | None = None,
    split: str = "test",
    train_split: str = "train",
    validation_split: str | None = "validation",
    options: Any = None,
    isolate: bool = True,
    command: str | None = None,
    progress: Progress = no_progress,
    include_unannotated: bool = False,
) -> BenchmarkResult:
    """Train (where needed), predict, score and report several models on one gold.

    ``corpus`` is a goldwire corpus: models that need training are trained on its
    ``train_split``, and unless ``gold`` is given they are scored on its ``split``. ``gold``
    (a corpus directory or a goldwire JSONL file such as ``seeds/gold/seed.jsonl``) is what
    is scored; with ``gold`` alone, only training-free models and trained ones given as
    ``NAME:PATH`` can run. ``options`` are the scorer's
    (:class:`goldwire.evaluate.scoring.ScoreOptions`: bootstrap resamples, seed, alias table).
    Reports the phases ``training NAME``, ``predicting with NAME`` and ``scoring TASK``
    through ``progress``; what each run took (time, memory, the model's warnings) is in the
    result. Writes ``out/models/``, ``out/predictions/``, ``out/reports/<task>/`` (the
    evaluate report: report.md, report.html, results.json), ``out/benchmark.json`` and
    ``out/benchmark.md``. Models train, predict and are scored on the documents with gold on
    their task's layer (all with ``include_unannotated``); the caveats say what was left out.
    """
    from goldwire.evaluate.models.summary import summary_markdown
    from goldwire.evaluate.report.plots import skipped
    from goldwire.evaluate.scoring import ScoreOptions

    no_plots = skipped()  # known before any work; the reports are written without them
    specs = split_models(models)
    options = options or ScoreOptions()
    _check_specs(specs, corpus, gold, train_split)
    gold_source = Path(gold if gold is not None else corpus)  # type: ignore[arg-type]
    gold_set = load_gold(gold_source, split=split, include_unannotated=include_unannotated)
    plan = _Plan(
        Path(out),
        corpus,
        gold_source,
        split,
        train_split,
        validation_split,
        isolate,
        progress,
        include_unannotated,
    )
    plan.out.mkdir(parents=True, exist_ok=True)
    runs = [
        plan.run(run_name, spec) for run_name, spec in zip(_run_names(specs), specs, strict=True)
    ]
    said = caveats(gold_set, runs)
    reports = score_and_report(gold_set, runs, plan.out, options, said, progress)
    said += [no_plots] if no_plots else []
    n_docs = len(gold_set.coverage.used)
    result = BenchmarkResult(
        str(plan.out), str(gold_source), gold_set.split, n_docs, runs, reports, said, command
    )
    write_json(plan.out / "benchmark.json", result.to_dict(), default=str)
    write_text(plan.out / "benchmark.md", summary_markdown(result))
    return result


def _check_specs(
    specs: Sequence[str], corpus: str | Path | None, gold: str | Path | None, train_split: str
) -> None:
    """Fail before any work: no gold, an untrained model without a corpus, a missing or
    foreign model folder, a corpus that is not a directory."""
    if corpus is None and gold is None:
        raise UsageError(
            "give --corpus (a goldwire corpus) or --gold (a corpus or a goldwire "
            "JSONL file) to benchmark on"
        )
    for spec in specs:
        name, path = parse_spec(spec)
        if model_class(name).trainable and path is not None:
            read_meta(Path(path))
        if model_class(name).trainable and path is None and corpus is None:
            raise UsageError(
                f"{name} needs training and there is no --corpus to train it on; "
                f"give --corpus with a {train_split} split, or a trained model "
                f"as {name}:DIR"
            )
    if corpus is not None and not Path(corpus).is_dir():
        raise UsageError(
            f"{corpus}: --corpus must be a goldwire corpus directory (built with "
            "`goldwire corpus build`)"
        )


@dataclass
class _Plan:
    """Where a benchmark's models are trained and predicted, and how."""

    out: Path
    corpus: str | Path | None
    gold_source: Path
    split: str
    train_split: str
    validation_split: str | None
    isolate: bool
    progress: Progress
    include_unannotated: bool = False

    def run(self, run_name: str, spec: str) -> ModelRun:
        """Train the model where it needs it, then predict the gold with it."""
        name, path = parse_spec(spec)
        cls = model_class(name)
        run = ModelRun(run_name, spec, name, cls.task.value)
        if cls.trainable and path is None:
            model_dir = self.out / "models" / _file_name(run_name)
            run.trained = self.job(
                "train",
                f"training {run_name}",
                {
                    "model": name,
                    "corpus": str(self.corpus),
                    "out": str(model_dir),
                    "split": self.train_split,
                    "validation_split": self.validation_split,
                    "include_unannotated": self.include_unannotated,
                },
            )
            spec = f"{name}:{model_dir}"
        pred_path = self.out / "predictions" / f"{_file_name(run_name)}.jsonl"
        run.predicted = self.job(
            "predict",
            f"predicting with {run_name}",
            {
                "model": spec,
                "source": str(self.gold_source),
                "out": str(pred_path),
                "split": self.split,
                "only_gold": not self.include_unannotated,
            },
        )
        return run

    def job(self, kind: str, phase: str, args: dict[str, Any]) -> dict[str, Any]:
        """One job as one phase of the progress (a prediction's documents as its steps)."""
        self.progress(phase, 0, None)
        result = _run_job(
            kind, args, self.isolate, lambda _phase, done, total: self.progress(phase, done, total)
        )
        result["isolated"] = self.isolate
        steps = result.get("documents", 1) if kind == "predict" else 1
        self.progress(phase, steps, steps)
        return result


if __name__ == "__main__":  # an isolated job of benchmark()
    _child_main()
