"""``goldwire corpus``: build, inspect, export corpora, attach gold to them, migrate them.

A thin layer over the library: each command parses its options (long declarations are the
module-level ``Annotated`` aliases), calls one library function (``build_corpus``,
``corpus_stats``, ``export``, ``attach_gold``, ``migrate_corpus``) and prints what it
returns; progress bars are
:class:`goldwire.progress.Bars`, ``--json`` files go through :mod:`goldwire.files`.
"""

from __future__ import annotations

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


def _console(json_path: Path | None = None):
    from goldwire.console import console

    return console(json_path=json_path)


InputsArgument = Annotated[list[Path], typer.Argument(help="Files or folders of articles.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Dataset folder (default: data/NAME).")
]
NameOption = Annotated[
    str | None, typer.Option(help="Corpus name (default: the first input's name).")
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Input format.")]
YearOption = Annotated[int | None, typer.Option(help="Publication year for datelines without one.")]
LanguageOption = Annotated[
    str | None, typer.Option(help="Language code for every document (skips detection).")
]
FieldOption = Annotated[
    list[str] | None,
    typer.Option(help="JSONL field mapping GOLDWIRE=KEY, e.g. --field text=body."),
]
WorkersOption = Annotated[
    int, typer.Option(min=1, help="Worker processes (CPUs of a local Ray instance).")
]
EngineOption = Annotated[
    Engine, typer.Option(help="Where the per-document steps run: this machine or Ray.")
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        help="Ray cluster address (ray://HOST:10001 or auto); default RAY_ADDRESS, "
        "else a local instance."
    ),
]
LayoutOption = Annotated[
    Layout | None,
    typer.Option(
        help="On-disk layout: arrow (save_to_disk) or parquet (data/SPLIT/*.parquet, "
        "for big corpora). Default: arrow locally, parquet on Ray."
    ),
]
StrictOption = Annotated[bool, typer.Option(help="Stop at the first bad file or document.")]
EncodingOption = Annotated[
    str | None,
    typer.Option(
        help="Encoding of every input file (e.g. cp1251), instead of detecting it; a byte "
        "that is not valid in it rejects the file."
    ),
]
FollowSymlinksOption = Annotated[
    bool,
    typer.Option(
        "--follow-symlinks",
        help="Walk into symbolic links to folders (each folder is read once); default: "
        "they are listed as skipped.",
    ),
]
ThresholdOption = Annotated[
    float, typer.Option(min=0.01, max=1.0, help="MinHash Jaccard threshold.")
]
NoNearDupsOption = Annotated[
    bool, typer.Option("--no-near-dups", help="Detect exact duplicates only.")
]
DedupOfficialOption = Annotated[
    bool,
    typer.Option(
        "--dedup-official",
        help="Also drop near-duplicates inside a reader's own official splits (CoNLL-2003); "
        "default: every official document is kept and its duplicates are reported.",
    ),
]
SplitRatiosOption = Annotated[str, typer.Option(help="train,validation,test ratios.")]
LabelsOption = Annotated[
    Path | None, typer.Option(help="Label schema TOML (default: the news schema).")
]
FreshOption = Annotated[
    bool, typer.Option(help="Ignore the manifest of an earlier build in --out.")
]
CardDirOption = Annotated[
    Path | None,
    typer.Option(
        help="Also copy the data card (always in the corpus folder as README.md) to "
        "CARD_DIR/NAME/README.md; a card of another corpus there is never replaced.",
        show_default=False,
    ),
]
LicenseOption = Annotated[
    str | None,
    typer.Option(
        "--license",
        help="The corpus's licence for the data card: a Hub licence id (SPDX-like, e.g. "
        "cc-by-4.0); default: other, with a line in the card saying how to set it.",
        show_default=False,
    ),
]
LicenseNameOption = Annotated[
    str | None,
    typer.Option(
        "--license-name",
        help="Short lowercase name of a licence the Hub does not list (license: other); "
        "with --license-link.",
        show_default=False,
    ),
]
LicenseLinkOption = Annotated[
    str | None,
    typer.Option(
        "--license-link",
        help="URL of that licence's text (with --license-name).",
        show_default=False,
    ),
]
BuildJsonOption = Annotated[
    Path | None, typer.Option("--json", help="Also write the build report here.")
]


@app.command("build")
def build_cli(
    inputs: InputsArgument,
    *,
    out: OutOption = None,
    name: NameOption = None,
    fmt: FormatOption = Format.auto,
    year: YearOption = None,
    language: LanguageOption = None,
    field: FieldOption = None,
    workers: WorkersOption = 1,
    engine: EngineOption = Engine.local,
    ray_address: RayAddressOption = None,
    layout: LayoutOption = None,
    strict: StrictOption = False,
    encoding: EncodingOption = None,
    follow_symlinks: FollowSymlinksOption = False,
    near_dup_threshold: ThresholdOption = 0.8,
    no_near_dups: NoNearDupsOption = False,
    dedup_official: DedupOfficialOption = False,
    split_ratios: SplitRatiosOption = "0.8,0.1,0.1",
    labels: LabelsOption = None,
    fresh: FreshOption = False,
    card_dir: CardDirOption = None,
    license: LicenseOption = None,
    license_name: LicenseNameOption = None,
    license_link: LicenseLinkOption = None,
    json_out: BuildJsonOption = None,
) -> None:
    """Build a corpus: read, normalise, deduplicate, split, write a DatasetDict and data card.

    Example: goldwire corpus build seeds/articles --out data/seed --name seed

    On Ray: goldwire corpus build articles/ --engine ray --ray-address auto
    """
    config = _build_config(**locals())  # first: the options are all the locals there are
    from goldwire.corpus.build import build_corpus

    _check_json(json_out, [("input", p) for p in inputs])
    if config.card is not None:  # before any work: never over another corpus's card
        from goldwire.corpus.card_hub import check_card_copy, corpus_id

        check_card_copy(config.card, corpus_id(config.out), config.name, config.out)
    from goldwire.files import write_json
    from goldwire.progress import Bars

    with Bars(enabled=engine is not Engine.ray) as bars:  # Ray Data draws its own bars
        data = build_corpus(config, bars).to_json()
    if json_out:
        write_json(json_out, data)
    _print_report(data, _console(json_out))
    card = config.card or config.out / "README.md"
    _console(json_out).print(f"dataset: {config.out}\ndata card: {card}", markup=False)


def _build_config(inputs: list[Path], *, out, name, fmt, year, language, field, workers, engine,
                  ray_address, layout, strict, encoding, follow_symlinks, near_dup_threshold,
                  no_near_dups, dedup_official, split_ratios, labels, fresh, card_dir, license,
                  license_name, license_link, json_out):  # fmt: skip
    """The build's settings from the options of ``build`` (all of them, by name; ``json_out``
    is the command's own). The corpus name defaults to the ``--out`` folder's name."""
    from goldwire.corpus.build import BuildConfig
    from goldwire.corpus.card_hub import CardLicense
    from goldwire.corpus.dedup import MinHashConfig
    from goldwire.corpus.normalize import check_encoding
    from goldwire.corpus.readers import ReadOptions
    from goldwire.corpus.split import SplitRatios
    from goldwire.schema import LabelSchema

    corpus_name = name or (out.resolve().name if out else _default_name(inputs[0]))
    fields = tuple(_field(item) for item in field or [])
    return BuildConfig(
        inputs=tuple(inputs),
        out=out or Path("data") / corpus_name,
        name=corpus_name,
        format=fmt.value,
        read=ReadOptions(year=year, language=language, fields=fields, strict=strict),
        workers=workers,
        strict=strict,
        minhash=None if no_near_dups else MinHashConfig(threshold=near_dup_threshold),
        ratios=SplitRatios.parse(split_ratios),
        labels=LabelSchema.from_toml(labels) if labels else LabelSchema.default(),
        fresh=fresh,
        engine=engine.value,
        layout=layout.value if layout else None,
        ray_address=ray_address,
        progress=engine is Engine.ray,
        card=card_dir / corpus_name / "README.md" if card_dir else None,
        license=CardLicense.from_options(license, license_name, license_link),
        encoding=check_encoding(encoding) if encoding else None,
        follow_symlinks=follow_symlinks,
        dedup_official=dedup_official,
    )


def _field(item: str) -> tuple[str, str]:
    from goldwire.errors import UsageError

    key, sep, value = item.partition("=")
    if not sep or not key or not value:
        raise UsageError(f"--field takes GOLDWIRE=KEY, e.g. --field text=body; got {item!r}")
    return key, value


def _default_name(first: Path) -> str:
    path = first.resolve()
    if path.is_file():
        return path.stem
    if path.name in ("articles", "input", "raw", "data") and path.parent.name:
        return path.parent.name
    return path.name


def _print_report(data: dict, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    from goldwire.console import shown_list, shown_name

    table = Table(title=escape(f"build report: {shown_name(data['name'])}"), show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    files, docs = data["files"], data["documents"]
    for label, value in (
        ("files found", files["found"]),
        ("files read", files["read"]),
        ("files rejected", files["rejected"]),
        ("files skipped", files["skipped"]),
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
        lines = [f"  [red]{r['reason']}[/red] {escape(r['message'])}" for r in data["rejections"]]
        report = Path(data["out"]) / "build_report.json"
        for line in shown_list(lines, more_in=report):
            console.print(line if line.startswith("  ") else f"  {escape(line)}",
                          highlight=False, soft_wrap=True)  # fmt: skip
    if data["skipped"]:
        reasons = ", ".join(f"{k} ({v})" for k, v in files["skipped_by_reason"].items())
        console.print(f"skipped (not read): {reasons}; listed in the build report", highlight=False)
    if data["duplicates"]:
        dup = Table(title="duplicates removed", show_header=True)
        for col in ("kind", "source", "id", "duplicate of"):
            dup.add_column(col)
        for d in data["duplicates"][:50]:
            dup.add_row(d["kind"], escape(shown_name(d["source"])), d["id"],
                        d["duplicate_of"] or "")  # fmt: skip
        if len(data["duplicates"]) > 50:
            dup.caption = f"... and {len(data['duplicates']) - 50} more in build_report.json"
        console.print(dup)
    if data.get("official_duplicates"):
        n = len(data["official_duplicates"])
        console.print(f"near-duplicates inside the reader's own splits: {n}, kept (pass "
                      "--dedup-official to drop them); listed in the build report",
                      highlight=False)  # fmt: skip
    for w in data["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {escape(w)}")
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
    from goldwire.files import write_json

    _check_json(json_out, [("corpus", dataset)])
    dd, labels, meta = load_corpus(dataset)
    stats = corpus_stats(dd, labels)
    if json_out:
        write_json(json_out, stats)
    console = _console(json_out)
    console.print(f"[bold]{meta.get('name')}[/bold] schema v{meta.get('schema_version')}"
                  + _migrated_note(meta), highlight=False, soft_wrap=True)  # fmt: skip
    table = Table("split", "documents")
    for split, v in stats["splits"].items():
        table.add_row(split, str(v["num_examples"]))
    console.print(table)
    _print_coverage(stats["coverage"], console)
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


def _migrated_note(meta: dict) -> str:
    if meta.get("migrated_from") is None:
        return ""
    return (f" (read from schema v{meta['migrated_from']}, migrated in memory; write a "
            "migrated copy with `goldwire corpus migrate`)")  # fmt: skip


def _print_coverage(coverage: dict, console) -> None:
    """Documents with gold of all, per split and layer, and the documents by status."""
    from rich.table import Table

    from goldwire.corpus.coverage import coverage_rows

    total = coverage["total"]
    table = Table("split", "layer", "with gold", "documents", "statuses",
                  title=f"gold: {total['with_gold']} of {total['documents']} documents on "
                  "at least one layer")  # fmt: skip
    for split, layer, gold, n, statuses in coverage_rows(coverage):
        table.add_row(split, layer, str(gold), str(n), statuses)
    console.print(table)


@app.command("export")
def export_cli(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder built by goldwire.")],
    *,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="Output format.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    split: Annotated[
        list[str] | None, typer.Option(help="Splits to export (default: all).")
    ] = None,
    include_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Also write the documents without gold, marked: by their status (JSONL, "
            "Parquet), by token lines without a tag column (CoNLL).",
        ),
    ] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the export report here.")
    ] = None,
) -> None:
    """Export the gold documents of a dataset as goldwire JSONL, CoNLL IOB2 or sharded Parquet.

    JSONL and Parquet: documents with gold on at least one layer; CoNLL: documents whose
    entities carry gold. --all writes the others too, marked.

    Example: goldwire corpus export data/seed --format conll --out exports/seed
    """
    from goldwire.corpus.export import export
    from goldwire.files import write_json

    _check_json(json_out, [("corpus", dataset)])
    report = export(dataset, out, fmt.value, split, include_all=include_all)
    if json_out:
        write_json(json_out, report.to_json())
    _print_export_report(report, _console(json_out))


def _check_json(json_out: Path | None, inputs: list[tuple[str, Path]]) -> None:
    """Refuse, before any work, a ``--json`` path that is an input or lies inside one."""
    from goldwire.outputs import check_output_files

    check_output_files([("--json", json_out)], inputs)


def _reasons(counter) -> str:
    return ", ".join(f"{reason}: {n}" for reason, n in sorted(counter.items()))


def _print_export_report(report, console) -> None:
    for split, c in report.splits.items():
        line = f"{split}: {c.written} documents written"
        if c.without_gold:
            marked = sum(c.without_gold.values())
            line += f" ({marked} without gold, marked; {_reasons(c.without_gold)})"
        if c.left_out:
            line += f", {sum(c.left_out.values())} left out ({_reasons(c.left_out)})"
        console.print(line, highlight=False, soft_wrap=True)
    console.print(f"{report.format} -> {report.out}", highlight=False, soft_wrap=True)
    if report.left_out:
        note = f"{report.left_out} documents without gold were left out; --all writes them too"
        console.print(f"{note}, marked as without gold", highlight=False, soft_wrap=True)


GoldArgument = Annotated[
    Path,
    typer.Argument(help="Gold JSONL from `goldwire annotate adjudicate`.", show_default=False),
]
VersionOutOption = Annotated[
    Path, typer.Option("--out", "-o", help="Folder of the new corpus version.", show_default=False)
]
AgreementOption = Annotated[
    Path | None,
    typer.Option(
        "--agreement",
        help="Agreement JSON (`goldwire annotate agreement --json`) whose figures go into "
        "goldwire.json and the data card.",
        show_default=False,
    ),
]
AttachJsonOption = Annotated[
    Path | None,
    typer.Option("--json", help="Also write the attach report here.", show_default=False),
]


@app.command("attach-gold")
def attach_gold_cli(
    corpus: Annotated[
        Path, typer.Argument(help="A dataset folder built by goldwire.", show_default=False)
    ],
    gold: GoldArgument,
    *,
    out: VersionOutOption,
    agreement: AgreementOption = None,
    card_dir: CardDirOption = None,
    json_out: AttachJsonOption = None,
) -> None:
    """Attach gold annotations to a corpus as a new version; refresh its data card.

    Documents are matched by id; unknown ids and documents whose text differs are reported.

    Example: goldwire corpus attach-gold data/seed data/gold.jsonl --out data/seed-gold --agreement data/pull/agreement.json
    """  # noqa: E501
    from goldwire.corpus.attach import attach_gold
    from goldwire.files import write_json

    _check_json(json_out, [("corpus", corpus), ("gold file", gold)])
    card = card_dir / out.resolve().name / "README.md" if card_dir else None
    report = attach_gold(corpus, gold, out, agreement, card_path=card)
    if json_out:
        write_json(json_out, report.to_json())
    _print_attach_report(report, _console(json_out))


_SHOWN = 5  # unknown ids and text mismatches named in the output


def _print_attach_report(report, console) -> None:
    from rich.table import Table

    table = Table(title=f"gold attached: {report.out}")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = [("gold documents", report.gold_documents), ("attached", report.attached),
            *((f"  split {s}", n) for s, n in report.by_split.items()),
            ("entities", report.entities), ("stances", report.stances),
            ("document stances", report.doc_stances),
            ("unknown ids", len(report.unknown_ids)),
            ("text mismatches", len(report.text_mismatches)),
            ("without gold on any layer", len(report.without_gold))]  # fmt: skip
    for label, value in rows:
        table.add_row(label, str(value))
    console.print(table)
    _print_coverage(report.coverage, console)
    if report.unknown_ids:
        unknown = report.unknown_ids
        more = f" and {len(unknown) - _SHOWN} more" if len(unknown) > _SHOWN else ""
        console.print(f"[yellow]warning:[/yellow] not in the corpus: "
                      f"{', '.join(unknown[:_SHOWN])}{more}", highlight=False)  # fmt: skip
    for m in report.text_mismatches[:_SHOWN]:
        console.print(f"[yellow]warning:[/yellow] {m['id']} ({m['split']}): the gold text differs "
                      "from the corpus text; not attached", highlight=False)  # fmt: skip
    if report.without_gold:
        ids = report.without_gold
        more = f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
        console.print(f"[yellow]warning:[/yellow] no layer carries gold (status none or "
                      f"unconfirmed), not attached: {', '.join(ids[:_SHOWN])}{more}",
                      highlight=False)  # fmt: skip
    console.print(f"dataset: {report.out}\ndata card: {report.card}", highlight=False)


@app.command("migrate")
def migrate_cli(
    source: Annotated[
        Path,
        typer.Argument(help="A dataset folder written by an older goldwire.", show_default=False),
    ],
    *,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder of the migrated copy.", show_default=False)
    ],
    card_dir: CardDirOption = None,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the migration report here.", show_default=False),
    ] = None,
) -> None:
    """Write a copy of a schema version 1 corpus in this goldwire's schema (version 2).

    Each document's annotation status comes from what version 1 recorded (attach-gold's
    annotators and adjudication, the reader, whether a layer holds items). Older corpora are
    also read as they are, migrated in memory; the copy saves doing that on every load.

    Example: goldwire corpus migrate data/old --out data/old-v2
    """
    from goldwire.corpus.migrate import migrate_corpus
    from goldwire.files import write_json

    _check_json(json_out, [("corpus", source)])
    card = card_dir / out.resolve().name / "README.md" if card_dir else None
    report = migrate_corpus(source, out, card_path=card)
    if json_out:
        write_json(json_out, report.to_json())
    console = _console(json_out)
    console.print(f"schema v{report.from_version} -> v{report.to_json()['schema_version']}: "
                  f"{report.source} -> {report.out}", highlight=False, soft_wrap=True)  # fmt: skip
    _print_coverage(report.coverage, console)
    console.print(f"dataset: {report.out}\ndata card: {report.card}", highlight=False)
