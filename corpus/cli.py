"""``goldwire corpus``: build, inspect and export corpora (a thin layer over the library)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Build a typed Hugging Face dataset from raw articles, inspect it, export it.\n\n"
    "Example: goldwire corpus build seeds/articles --out data/seed",
    no_args_is_help=True,
)


class Format(str, Enum):
    auto = "auto"
    tass = "tass"
    text = "text"
    jsonl = "jsonl"
    html = "html"
    conll = "conll"
    basil = "basil"
    fnc1 = "fnc1"
    reuters = "reuters"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


class Layout(str, Enum):
    arrow = "arrow"
    parquet = "parquet"


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    conll = "conll"
    parquet = "parquet"


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr)


@app.command("build")
def build_cli(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders of articles.")],
    *,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Dataset folder (default: data/NAME).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Corpus name (default: the first input's name).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Input format.")] = Format.auto,
    year: Annotated[
        int | None, typer.Option(help="Publication year for datelines without one.")
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="Language code for every document (skips detection).")
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(help="JSONL field mapping GOLDWIRE=KEY, e.g. --field text=body."),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (CPUs of a local Ray instance).")
    ] = 1,
    engine: Annotated[
        Engine, typer.Option(help="Where the per-document steps run: this machine or Ray.")
    ] = Engine.local,
    ray_address: Annotated[
        str | None,
        typer.Option(
            help="Ray cluster address (ray://HOST:10001 or auto); default RAY_ADDRESS, "
            "else a local instance."
        ),
    ] = None,
    layout: Annotated[
        Layout | None,
        typer.Option(
            help="On-disk layout: arrow (save_to_disk) or parquet (data/SPLIT/*.parquet, "
            "for big corpora). Default: arrow locally, parquet on Ray."
        ),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Stop at the first bad file or document.")] = False,
    near_dup_threshold: Annotated[
        float, typer.Option(min=0.01, max=1.0, help="MinHash Jaccard threshold.")
    ] = 0.8,
    no_near_dups: Annotated[
        bool, typer.Option("--no-near-dups", help="Detect exact duplicates only.")
    ] = False,
    split_ratios: Annotated[
        str, typer.Option(help="train,validation,test ratios.")
    ] = "0.8,0.1,0.1",
    labels: Annotated[
        Path | None, typer.Option(help="Label schema TOML (default: the news schema).")
    ] = None,
    fresh: Annotated[
        bool, typer.Option(help="Ignore the manifest of an earlier build in --out.")
    ] = False,
    card_dir: Annotated[
        Path, typer.Option(help="Where data cards go: CARD_DIR/NAME/README.md.")
    ] = Path("data_cards"),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the build report here.")
    ] = None,
) -> None:
    """Build a corpus: read, normalise, deduplicate, split, write a DatasetDict and data card.

    Example: goldwire corpus build seeds/articles --out data/seed --name seed

    On Ray: goldwire corpus build articles/ --engine ray --ray-address auto
    """
    from goldwire.corpus.build import BuildConfig, build_corpus
    from goldwire.corpus.card import write_card
    from goldwire.corpus.dedup import MinHashConfig
    from goldwire.corpus.readers import ReadOptions
    from goldwire.corpus.split import SplitRatios
    from goldwire.errors import UsageError
    from goldwire.schema import LabelSchema

    corpus_name = name or _default_name(inputs[0])
    fields = []
    for item in field or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"--field takes GOLDWIRE=KEY, e.g. --field text=body; got {item!r}")
        fields.append((key, value))
    config = BuildConfig(
        inputs=tuple(inputs),
        out=out or Path("data") / corpus_name,
        name=corpus_name,
        format=fmt.value,
        read=ReadOptions(year=year, language=language, fields=tuple(fields), strict=strict),
        workers=workers,
        strict=strict,
        minhash=None if no_near_dups else _minhash(MinHashConfig, near_dup_threshold),
        ratios=SplitRatios.parse(split_ratios),
        labels=LabelSchema.from_toml(labels) if labels else LabelSchema.default(),
        fresh=fresh,
        engine=engine.value,
        layout=layout.value if layout else None,
        ray_address=ray_address,
        progress=engine is Engine.ray,
    )
    if engine is Engine.ray:  # Ray Data draws its own progress bars
        report = build_corpus(config)
    else:
        report = _run_with_progress(config, build_corpus)
    card = write_card(config.out, card_dir / corpus_name / "README.md")
    data = report.to_json()
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    _print_report(data)
    _console().print(f"dataset: {config.out}\ndata card: {card}")


def _minhash(cls, threshold: float):
    from goldwire.errors import UsageError

    try:
        return cls(threshold=threshold)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _default_name(first: Path) -> str:
    path = first.resolve()
    if path.is_file():
        return path.stem
    if path.name in ("articles", "input", "raw", "data") and path.parent.name:
        return path.parent.name
    return path.name


def _run_with_progress(config, build):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from goldwire.corpus.build import discover

    total = len(discover(config.inputs))
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("reading files", total=total)
        return build(config, on_file=lambda _res: progress.advance(task))


def _print_report(data: dict) -> None:
    from rich.table import Table

    console = _console()
    table = Table(title=f"build report: {data['name']}", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    files, docs = data["files"], data["documents"]
    for label, value in (
        ("files found", files["found"]),
        ("files read", files["read"]),
        ("files rejected", files["rejected"]),
        ("documents seen", docs["seen"]),
        ("documents kept", docs["kept"]),
        ("exact duplicates", docs["exact_duplicates"]),
        ("near duplicates", docs["near_duplicates"]),
        ("documents rejected", docs["rejected"]),
        *((f"split {k}", v) for k, v in data["splits"].items()),
    ):
        table.add_row(label, str(value))
    console.print(table)
    formats = ", ".join(f"{k} ({v})" for k, v in files["formats"].items())
    console.print(f"readers: {formats}; encodings: {files['encodings']}", highlight=False)
    if data["rejections"]:
        console.print(f"[bold]rejected ({len(data['rejections'])}):[/bold]")
        for r in data["rejections"]:
            console.print(
                f"  [red]{r['reason']}[/red] {r['message']}", highlight=False, soft_wrap=True
            )
    if data["duplicates"]:
        dup = Table(title="duplicates removed", show_header=True)
        for col in ("kind", "source", "id", "duplicate of"):
            dup.add_column(col)
        for d in data["duplicates"][:50]:
            dup.add_row(d["kind"], d["source"], d["id"], d["duplicate_of"] or "")
        if len(data["duplicates"]) > 50:
            dup.caption = f"... and {len(data['duplicates']) - 50} more in build_report.json"
        console.print(dup)
    for w in data["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {w}")
    if not data["reconciles"]:
        console.print("[red]counts do not reconcile; this is a goldwire bug[/red]")


@app.command("info")
def info_cli(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder built by goldwire.")],
    *,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the stats here.")] = None,
) -> None:
    """Counts per split, label counts, agencies, languages and date range of a dataset.

    Example: goldwire corpus info data/seed
    """
    from rich.table import Table

    from goldwire.corpus.card import corpus_stats
    from goldwire.corpus.dataset import load_corpus

    dd, labels, meta = load_corpus(dataset)
    stats = corpus_stats(dd, labels)
    if json_out:
        json_out.write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    console = _console()
    console.print(f"[bold]{meta.get('name')}[/bold] schema v{meta.get('schema_version')}")
    table = Table("split", "documents")
    for split, v in stats["splits"].items():
        table.add_row(split, str(v["num_examples"]))
    console.print(table)
    for title, key in (
        ("agency", "agencies"),
        ("language", "languages"),
        ("entity label", "entity_labels"),
        ("stance label", "stance_labels"),
        ("document-stance label", "doc_stance_labels"),
    ):
        if stats[key]:
            t = Table(title, "count")
            for k, v in stats[key].items():
                t.add_row(str(k), str(v))
            console.print(t)
    dr = stats["date_range"]
    console.print(f"date range: {dr[0]} to {dr[1]}" if dr else "date range: unknown")


@app.command("export")
def export_cli(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder built by goldwire.")],
    *,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="Output format.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    split: Annotated[
        list[str] | None, typer.Option(help="Splits to export (default: all).")
    ] = None,
) -> None:
    """Export a dataset as goldwire JSONL, CoNLL IOB2 or sharded Parquet.

    Example: goldwire corpus export data/seed --format jsonl --out exports/seed
    """
    from goldwire.corpus.export import export

    counts = export(dataset, out, fmt.value, split)
    for s, n in counts.items():
        _console().print(f"{s}: {n} documents -> {out}")


def _mount_attach_gold() -> None:
    from goldwire.corpus.attach import attach_gold_cmd

    app.command("attach-gold")(attach_gold_cmd)


_mount_attach_gold()
