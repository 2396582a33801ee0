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

from goldwire.errors import UsageError
from goldwire.evaluate.models import create_model, load_model, model_class, parse_spec
from goldwire.evaluate.models.base import Model, Task, query_document, read_meta
from goldwire.files import write_json, write_text
from goldwire.memory import PeakMemory, max_rss_mb
from goldwire.progress import Progress, no_progress
from goldwire.schema import Document, Mention, Stance, write_jsonl

FEW_DOCUMENTS = 30


# --------------------------------------------------------------------------- documents


def load_documents(source: str | Path, split: str) -> tuple[list[Document], Any]:
    """Documents and label schema of a corpus split, or of a goldwire JSONL file."""
    from goldwire.evaluate.inputs import load_gold

    gold = load_gold(source, split=split)
    return gold.docs, gold.labels


def _optional_split(source: str | Path, split: str | None) -> list[Document]:
    if not split or not Path(source).is_dir():
        return []
    try:
        return load_documents(source, split)[0]
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
) -> TrainResult:
    """Fit model ``model`` (a name) on ``corpus``'s ``split`` and save it to ``out``."""
    cls = model_class(model)
    if not cls.trainable:
        raise UsageError(f"{model} is training-free; use it as it is: --model {model}")
    docs, labels = load_documents(corpus, split)
    if not docs:
        raise UsageError(f"{corpus} [{split}] has no documents to train on")
    validation = _optional_split(corpus, validation_split)
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
    return TrainResult(
        model,
        str(out),
        len(docs),
        len(validation),
        round(seconds, 3),
        round(mem.before, 1),
        round(mem.peak, 1),
        instance.training,
    )


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
) -> PredictResult:
    """Run ``model`` (``NAME[:PATH]`` or a Model) over ``source``'s ``split`` (a corpus) or
    over a goldwire JSONL file, writing the predictions to ``out`` (goldwire JSONL); reports
    ``progress("predicting with NAME", documents done, documents)``."""
    started = time.perf_counter()
    instance = load_model(model) if isinstance(model, str) else model
    instance.check_fitted()
    docs, _ = load_documents(source, split)
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
    ``out/benchmark.md``.
    """
    from goldwire.evaluate.inputs import load_gold
    from goldwire.evaluate.models.summary import summary_markdown
    from goldwire.evaluate.scoring import ScoreOptions

    specs = split_models(models)
    options = options or ScoreOptions()
    _check_specs(specs, corpus, gold, train_split)
    gold_source = Path(gold if gold is not None else corpus)  # type: ignore[arg-type]
    gold_set = load_gold(gold_source, split=split)
    plan = _Plan(
        Path(out), corpus, gold_source, split, train_split, validation_split, isolate, progress
    )
    plan.out.mkdir(parents=True, exist_ok=True)
    runs = [
        plan.run(run_name, spec) for run_name, spec in zip(_run_names(specs), specs, strict=True)
    ]
    caveats = _caveats(gold_set, runs)
    reports = _score_and_report(gold_set, runs, plan.out, options, caveats, progress)
    result = BenchmarkResult(
        str(plan.out),
        str(gold_source),
        gold_set.split,
        len(gold_set.docs),
        runs,
        reports,
        caveats,
        command,
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


def _caveats(gold, runs: Sequence[ModelRun]) -> list[str]:
    n = len(gold.docs)
    out = []
    if n == 1:
        out.append(
            "One document gives no confidence: these figures describe this one document, "
            "not the models. The bootstrap resamples documents, so with one document "
            "every interval collapses to the point; benchmark on a corpus with a test "
            "split of hundreds of documents before drawing any conclusion."
        )
    elif n < FEW_DOCUMENTS:
        out.append(
            f"Only {n} documents: the confidence intervals are wide and unreliable "
            "(the bootstrap resamples documents); do not compare models on this gold."
        )
    if any(r.task == Task.STANCES.value for r in runs) and any(d.entities for d in gold.docs):
        out.append(
            "Stance models were given the gold entity mentions (they read `entities`), "
            "so their stance figures assume perfect mention detection."
        )
    return out


def task_gold(gold, task: str):
    """The gold restricted to one task's annotations, so a report ranks by that task."""
    from goldwire.evaluate.inputs import GoldSet

    def plain(doc: Document, m: Mention) -> Mention:
        r = doc.resolve(m)
        return Mention(r.text, r.start, r.end)

    docs = []
    for d in gold.docs:
        if task == Task.ENTITIES.value:
            docs.append(dataclasses.replace(d, stances=[], doc_stances=[]))
        elif task == Task.STANCES.value:
            stances = [Stance(plain(d, s.holder), plain(d, s.target), s.label) for s in d.stances]
            docs.append(dataclasses.replace(d, entities=[], stances=stances, doc_stances=[]))
        else:
            docs.append(dataclasses.replace(d, entities=[], stances=[]))
    return GoldSet(docs, gold.labels, gold.source, gold.split)


def _score_and_report(
    gold, runs: Sequence[ModelRun], out: Path, options: Any, caveats: list[str], progress: Progress
) -> dict[str, list[str]]:
    from goldwire.evaluate.inputs import load_predictions
    from goldwire.evaluate.models.summary import headline_figures
    from goldwire.evaluate.report import build_report, write_report
    from goldwire.evaluate.scoring import score_documents

    reports: dict[str, list[str]] = {}
    for task in dict.fromkeys(r.task for r in runs):
        members = [r for r in runs if r.task == task]
        if not any(getattr(d, task) for d in gold.docs):
            caveats.append(
                f"The gold has no {task}: {', '.join(r.name for r in members)} could not be scored."
            )
            continue
        view = task_gold(gold, task)
        scored = []
        for k, r in enumerate(members):
            progress(f"scoring {task}", k, len(members))
            preds = load_predictions(r.predicted["out"], view)
            result = score_documents(view, preds, options)
            r.figures = headline_figures(result, task)
            scored.append((r.name, result))
        progress(f"scoring {task}", len(members), len(members))
        report = build_report(scored, caveats=caveats)
        reports[task] = [str(p) for p in write_report(report, out / "reports" / task)]
    return reports


if __name__ == "__main__":  # an isolated job of benchmark()
    _child_main()
