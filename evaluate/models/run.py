"""Training, prediction and benchmarks as plain functions (the commands call these).

* :func:`train`: fit a model on a corpus split (and use the validation split where the model
  tunes something), save it to a folder.
* :func:`predict`: run a model over a corpus split (or a JSONL file) and write predictions as
  goldwire JSONL, timing the model and measuring memory.
* :func:`benchmark`: for several models, train where needed, predict, score with the evaluate
  stage (:func:`goldwire.evaluate.scoring.score_documents`), write its report
  (:func:`goldwire.evaluate.report.write_report`) for each task and a summary with time per
  1,000 documents and peak memory per model.

**Memory.** Peak resident memory (RSS) is sampled every 5 ms by a thread while the model
works, and taken from ``getrusage`` (the exact high-water mark) when each phase runs in its
own process (``isolate=True``, the default of ``benchmark``: training and prediction of each
model in a fresh Python process, so no model inherits another's memory). The figures
include the Python interpreter, the libraries and the loaded documents; ``rss_before_mb`` is
what the process held just before the model started.

**Time.** ``seconds`` covers the model's work only (fitting and saving; predicting and writing
the predictions), not loading documents or the model; ``seconds_per_1000`` is prediction time
per 1,000 documents.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.errors import UsageError
from goldwire.evaluate.models import create_model, load_model, model_class, parse_spec
from goldwire.evaluate.models.base import Model, Task, query_document, read_meta
from goldwire.schema import Document, Mention, Stance, write_jsonl

Progress = Callable[[int, int], None]
Event = Callable[[str], None]
FEW_DOCUMENTS = 30


# --------------------------------------------------------------------------- memory


def current_rss_mb() -> float:
    """The process's resident memory now (MB), from /proc; else its peak so far."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return max_rss_mb()


def max_rss_mb() -> float:
    """The process's peak resident memory so far (MB), from getrusage."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


class PeakMemory:
    """Samples RSS in a thread while the ``with`` block runs: ``before`` and ``peak`` (MB)."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.before = self.peak = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakMemory:
        self.before = self.peak = current_rss_mb()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, current_rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = max(self.peak, current_rss_mb())


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


def train(model: str, corpus: str | Path, out: str | Path, *, split: str = "train",
          validation_split: str | None = "validation",
          params: dict[str, Any] | None = None) -> TrainResult:
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
        instance.training = {**info, "corpus": str(corpus), "split": split,
                             "validation_split": validation_split if validation else None}
        instance.save(out)
        seconds = time.perf_counter() - started
    return TrainResult(model, str(out), len(docs), len(validation), round(seconds, 3),
                       round(mem.before, 1), round(mem.peak, 1), instance.training)


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
        return {**dataclasses.asdict(self), "docs_per_second": self.docs_per_second,
                "seconds_per_1000": self.seconds_per_1000}


def predict(model: str | Model, source: str | Path, out: str | Path, *, split: str = "test",
            on_progress: Progress | None = None) -> PredictResult:
    """Run ``model`` (``NAME[:PATH]`` or a Model) over ``source``'s ``split`` (a corpus) or
    over a goldwire JSONL file, writing the predictions to ``out`` (goldwire JSONL)."""
    started = time.perf_counter()
    instance = load_model(model) if isinstance(model, str) else model
    instance.check_fitted()
    docs, _ = load_documents(source, split)
    load_seconds = time.perf_counter() - started
    counts = {instance.task.value: 0}
    total = len(docs)

    def run() -> Iterator[Document]:
        queries = (query_document(d, instance.reads) for d in docs)
        for i, pred in enumerate(instance.predict(queries), 1):
            counts[instance.task.value] += len(getattr(pred, instance.task.value))
            if on_progress is not None:
                on_progress(i, total)
            yield pred

    with PeakMemory() as mem:
        started = time.perf_counter()
        n = write_jsonl(run(), out)
        seconds = time.perf_counter() - started
    spec = model if isinstance(model, str) else instance.name
    return PredictResult(spec, str(out), n, round(seconds, 4), round(load_seconds, 3),
                         round(mem.before, 1), round(mem.peak, 1), counts)


# --------------------------------------------------------------------------- isolation


def _train_job(args: dict[str, Any]) -> dict[str, Any]:
    result = train(**args).to_dict()
    result["peak_rss_mb"] = round(max(result["peak_rss_mb"], max_rss_mb()), 1)
    return result


def _predict_job(args: dict[str, Any]) -> dict[str, Any]:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = predict(**args).to_dict()
    result["peak_rss_mb"] = round(max(result["peak_rss_mb"], max_rss_mb()), 1)
    result["warnings"] = [str(w.message) for w in caught]
    return result


JOBS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "train": _train_job, "predict": _predict_job}


def _run_job(kind: str, args: dict[str, Any], isolate: bool) -> dict[str, Any]:
    """Run a job here, or (``isolate``) in a fresh Python process: ``python -m
    goldwire.evaluate.models.run`` reads the job as JSON on stdin and writes the result (or
    the goldwire error it raised) as JSON to a file."""
    if not isolate:
        return JOBS[kind](args)
    import subprocess
    import tempfile

    from goldwire import errors

    with tempfile.TemporaryDirectory(prefix="goldwire-job-") as tmp:
        result_path = Path(tmp) / "result.json"
        payload = json.dumps({"kind": kind, "args": args, "result": str(result_path)})
        proc = subprocess.run([sys.executable, "-m", "goldwire.evaluate.models.run"],
                              input=payload, text=True, capture_output=True, check=False)
        if not result_path.is_file():
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise errors.GoldwireError(
                f"the {kind} process for {args.get('model')} failed (exit code "
                f"{proc.returncode}): {tail}; run with --no-isolate to see the traceback")
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
        out: dict[str, Any] = {"result": JOBS[job["kind"]](job["args"])}
    except GoldwireError as exc:
        out = {"error": {"type": type(exc).__name__, "message": str(exc)}}
    Path(job["result"]).write_text(json.dumps(out, default=str), encoding="utf-8")


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
        return {"out": self.out, "gold": self.gold, "split": self.split,
                "documents": self.documents, "command": self.command,
                "caveats": self.caveats, "reports": self.reports,
                "runs": [r.to_dict() for r in self.runs]}


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


def benchmark(models: str | Sequence[str], out: str | Path, *,
              corpus: str | Path | None = None, gold: str | Path | None = None,
              split: str = "test", train_split: str = "train",
              validation_split: str | None = "validation", options: Any = None,
              isolate: bool = True, command: str | None = None,
              on_event: Event | None = None) -> BenchmarkResult:
    """Train (where needed), predict, score and report several models on one gold.

    ``corpus`` is a goldwire corpus: models that need training are trained on its
    ``train_split``, and unless ``gold`` is given they are scored on its ``split``. ``gold``
    (a corpus directory or a goldwire JSONL file such as ``seeds/gold/seed.jsonl``) is what
    is scored; with ``gold`` alone, only training-free models and trained ones given as
    ``NAME:PATH`` can run. ``options`` are the scorer's
    (:class:`goldwire.evaluate.scoring.ScoreOptions`: bootstrap resamples, seed, alias table).
    Writes ``out/models/``, ``out/predictions/``, ``out/reports/<task>/`` (the evaluate
    report: report.md, report.html, results.json), ``out/benchmark.json`` and
    ``out/benchmark.md``.
    """
    from goldwire.evaluate.inputs import load_gold
    from goldwire.evaluate.scoring import ScoreOptions

    say = on_event or (lambda message: None)
    specs = split_models(models)
    options = options or ScoreOptions()
    if corpus is None and gold is None:
        raise UsageError("give --corpus (a goldwire corpus) or --gold (a corpus or a goldwire "
                         "JSONL file) to benchmark on")
    for spec in specs:
        name, path = parse_spec(spec)
        if model_class(name).trainable and path is not None:
            read_meta(Path(path))  # a missing or foreign model folder fails before any work
        if model_class(name).trainable and path is None and corpus is None:
            raise UsageError(f"{name} needs training and there is no --corpus to train it on; "
                             f"give --corpus with a {train_split} split, or a trained model "
                             f"as {name}:DIR")
    if corpus is not None and not Path(corpus).is_dir():
        raise UsageError(f"{corpus}: --corpus must be a goldwire corpus directory (built with "
                         "`goldwire corpus build`)")
    gold_source = Path(gold if gold is not None else corpus)  # type: ignore[arg-type]
    gold_set = load_gold(gold_source, split=split)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs: list[ModelRun] = []
    for run_name, spec in zip(_run_names(specs), specs, strict=True):
        name, path = parse_spec(spec)
        cls = model_class(name)
        run = ModelRun(run_name, spec, name, cls.task.value)
        if cls.trainable and path is None:
            model_dir = out / "models" / _file_name(run_name)
            say(f"training {run_name} on {corpus} [{train_split}]")
            run.trained = _run_job("train", {
                "model": name, "corpus": str(corpus), "out": str(model_dir),
                "split": train_split, "validation_split": validation_split}, isolate)
            run.trained["isolated"] = isolate
            spec = f"{name}:{model_dir}"
            say(f"  trained in {run.trained['seconds']:.1f} s, peak RSS "
                f"{run.trained['peak_rss_mb']:.0f} MB")
        pred_path = out / "predictions" / f"{_file_name(run_name)}.jsonl"
        say(f"predicting with {run_name} on {gold_source}"
            + (f" [{split}]" if gold_source.is_dir() else ""))
        run.predicted = _run_job("predict", {"model": spec, "source": str(gold_source),
                                                "out": str(pred_path), "split": split}, isolate)
        run.predicted["isolated"] = isolate
        for warning in run.predicted.get("warnings", []):
            say(f"  warning: {warning}")
        say(f"  {run.predicted['documents']} documents in {run.predicted['seconds']:.2f} s "
            f"({run.predicted['docs_per_second']} documents/s), peak RSS "
            f"{run.predicted['peak_rss_mb']:.0f} MB")
        runs.append(run)
    caveats = _caveats(gold_set, runs)
    reports = _score_and_report(gold_set, runs, out, options, caveats, say)
    result = BenchmarkResult(str(out), str(gold_source), gold_set.split, len(gold_set.docs),
                             runs, reports, caveats, command)
    (out / "benchmark.json").write_text(json.dumps(result.to_dict(), indent=2,
                                                   ensure_ascii=False, default=str) + "\n",
                                        encoding="utf-8")
    (out / "benchmark.md").write_text(summary_markdown(result), encoding="utf-8")
    return result


def _caveats(gold, runs: Sequence[ModelRun]) -> list[str]:
    n = len(gold.docs)
    out = []
    if n == 1:
        out.append("One document gives no confidence: these figures describe this one document, "
                   "not the models. The bootstrap resamples documents, so with one document "
                   "every interval collapses to the point; benchmark on a corpus with a test "
                   "split of hundreds of documents before drawing any conclusion.")
    elif n < FEW_DOCUMENTS:
        out.append(f"Only {n} documents: the confidence intervals are wide and unreliable "
                   "(the bootstrap resamples documents); do not compare models on this gold.")
    if any(r.task == Task.STANCES.value for r in runs) and any(d.entities for d in gold.docs):
        out.append("Stance models were given the gold entity mentions (they read `entities`), "
                   "so their stance figures assume perfect mention detection.")
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


def _score_and_report(gold, runs: Sequence[ModelRun], out: Path, options: Any,
                      caveats: list[str], say: Event) -> dict[str, list[str]]:
    from goldwire.evaluate.inputs import load_predictions
    from goldwire.evaluate.report import build_report, write_report
    from goldwire.evaluate.scoring import score_documents

    reports: dict[str, list[str]] = {}
    for task in dict.fromkeys(r.task for r in runs):
        members = [r for r in runs if r.task == task]
        if not any(getattr(d, task) for d in gold.docs):
            caveats.append(f"The gold has no {task}: {', '.join(r.name for r in members)} "
                           "could not be scored.")
            continue
        view = task_gold(gold, task)
        scored = []
        for r in members:
            preds = load_predictions(r.predicted["out"], view)
            result = score_documents(view, preds, options)
            r.figures = headline_figures(result, task)
            scored.append((r.name, result))
        say(f"scoring {task}: {', '.join(r.name for r in members)}")
        report = build_report(scored)
        folder = out / "reports" / task
        written = write_report(report, folder)
        _add_caveats(folder, caveats)
        reports[task] = [str(p) for p in written]
    return reports


def headline_figures(result, task: str) -> dict[str, Any]:
    """The figures of a task that the summary shows, as ``{name: {value, ci}}``."""
    wanted = {
        Task.ENTITIES.value: [("entities.strict", "micro.precision", "strict precision"),
                              ("entities.strict", "micro.recall", "strict recall"),
                              ("entities.strict", "micro.f1", "strict f1"),
                              ("entities.strict", "macro.f1", "strict macro f1")],
        Task.STANCES.value: [("stances.entity", "micro.precision", "triple precision"),
                             ("stances.entity", "micro.recall", "triple recall"),
                             ("stances.entity", "micro.f1", "triple f1"),
                             ("stances.mention_strict", "micro.f1", "mention strict f1"),
                             ("stances.mention_relaxed", "micro.f1", "mention relaxed f1")],
        Task.DOC_STANCES.value: [("doc_stances", f, f) for f in
                                 ("accuracy", "macro_f1", "fnc1", "semeval2016")],
    }[task]
    out: dict[str, Any] = {}
    for section, figure, label in wanted:
        sec = result.sections.get(section)
        if sec is None or figure not in sec.figures:
            continue
        if section.startswith("stances.mention"):
            excluded = sec.extra.get("excluded_without_offsets", {})
            total = sec.counts()["micro"].possible + excluded.get("gold", 0)
            if not total or excluded.get("gold", 0) == total:
                continue  # name-only gold: no mention level
        out[label] = sec.figures[figure].to_dict()
    return out


def _add_caveats(folder: Path, caveats: list[str]) -> None:
    """Put the caveats at the top of the evaluate report (Markdown and HTML)."""
    if not caveats:
        return
    import html

    md = folder / "report.md"
    text = md.read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n\n")
    block = "\n\n".join(f"**Caveat.** {c}" for c in caveats)
    md.write_text(f"{head}{sep}{block}\n\n{rest}" if sep else f"{block}\n\n{text}",
                  encoding="utf-8")
    page = folder / "report.html"
    markup = page.read_text(encoding="utf-8")
    paras = "".join(f'<p class="caveat"><strong>Caveat.</strong> {html.escape(c)}</p>'
                    for c in caveats)
    at = markup.find("</h1>")
    if at >= 0:
        page.write_text(markup[:at + 5] + paras + markup[at + 5:], encoding="utf-8")


# --------------------------------------------------------------------------- summary


def _estimate(fig: dict[str, Any] | None) -> str:
    from goldwire.evaluate.bootstrap import Estimate
    from goldwire.evaluate.report import format as fmt

    if not fig:
        return "–"
    ci = fig.get("ci")
    return fmt.estimate(Estimate(fig["value"], *(ci if ci else (None, None))))


def summary_rows(result: BenchmarkResult, separator: str = "; ") -> list[list[str]]:
    rows = []
    for r in result.runs:
        p = r.predicted
        t = r.trained or {}
        figs = separator.join(f"{k} {_estimate(v)}" for k, v in r.figures.items()) or "not scored"
        rows.append([r.name, r.task, figs, str(p.get("documents", "")),
                     f"{p.get('seconds_per_1000', 0):.2f}",
                     f"{p.get('peak_rss_mb', 0):.0f} ({p.get('rss_before_mb', 0):.0f})",
                     f"{t['seconds']:.1f}" if t else "–",
                     f"{t['peak_rss_mb']:.0f} ({t['rss_before_mb']:.0f})" if t else "–"])
    return rows


SUMMARY_HEADER = ["model", "task", "figures (percent, 95% CI)", "documents",
                  "predict s / 1,000 docs", "predict peak RSS MB (at start)", "train s",
                  "train peak RSS MB (at start)"]


def summary_markdown(result: BenchmarkResult) -> str:
    lines = ["# goldwire benchmark", ""]
    split = f" [{result.split}]" if result.split else ""
    noun = "document" if result.documents == 1 else "documents"
    lines += [f"Gold: {result.gold}{split}, {result.documents} {noun}.", ""]
    if result.command:
        lines += ["Command:", "", f"    {result.command}", ""]
    for c in result.caveats:
        lines += [f"**Caveat.** {c}", ""]
    lines.append("| " + " | ".join(SUMMARY_HEADER) + " |")
    lines.append("|" + "|".join("---" for _ in SUMMARY_HEADER) + "|")
    for row in summary_rows(result):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    isolated = all(r.predicted.get("isolated") for r in result.runs)
    lines += ["", "Time: the model's own work (predicting and writing the predictions; fitting "
              "and saving), not loading. Peak RSS: the whole process (interpreter, libraries, "
              "documents) while the model worked; in brackets what it held when the model "
              "started"
              + ("; each phase ran in its own process." if isolated
                 else "; all models ran in one process (--no-isolate), so later models may "
                 "show memory earlier ones left."), ""]
    for task, files in result.reports.items():
        lines.append(f"- {task}: {files[0]}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # an isolated job of benchmark()
    _child_main()
