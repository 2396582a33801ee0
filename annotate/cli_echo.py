"""How the push and pull commands print their reports (the human side of ``--json``)."""

from __future__ import annotations

from pathlib import Path

from goldwire.annotate.cli_common import Echo


def echo_push(report, problems_path: Path | None, echo: Echo) -> None:
    for target in report.targets:
        p = target.project
        verb = "created" if target.created else "reused"
        echo(
            f"{p['name']} (id {p['id']}, {verb}) at {report.url}: {target.uploaded} uploaded in "
            f"{target.batches} batch(es), {target.unchanged} already there, "
            f"{target.mismatched} with another text; {target.examples_after} examples "
            f"(listed by {target.listing})"
        )
        for sync in target.labels:
            if sync["created"] or sync["updated"]:
                echo(
                    f"  {sync['kind']} labels: created {', '.join(sync['created']) or '-'}; "
                    f"updated {', '.join(sync['updated']) or '-'}"
                )
        for what, counts in (
            ("uploaded", target.uploaded_labels),
            ("created through the API", target.suggestions_created),
        ):
            if counts:
                shown = ", ".join(f"{n} {kind}" for kind, n in counts.items())
                echo(f"  suggestions {what}: {shown}")
    for note in report.notes:
        echo(f"note: {note}")
    if report.problems:
        echo_problems(report.problems, problems_path, echo)


def echo_problems(problems, path: Path | None, echo: Echo) -> None:
    from collections import Counter

    from goldwire.console import shown_list

    kinds = Counter(p.kind for p in problems)
    summary = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
    echo(f"{len(problems)} problem(s): {summary}", err=True)
    hint = "write them all with --problems FILE"
    for line in shown_list([str(p) for p in problems], more_in=path, hint=hint):
        echo(f"  {line}", err=True)


def echo_pull(report, echo: Echo) -> None:
    from goldwire.console import shown_list

    what = report.project["name"]
    if report.campaign is not None:
        what = f"campaign {what} ({len(report.campaign['annotators'])} projects)"
    echo(
        f"pulled {what} ({report.examples} documents) from {report.url} "
        f"into {report.out} ({report.snapshot})"
    )
    for user, s in sorted(report.annotators.items()):
        where = "" if s.in_project else f" (no longer in the project; kept from {s.snapshot})"
        if not s.exported:
            where += " (not in doccano's export: see problems)"
        if s.carried:
            where += f" ({s.carried} kept from an earlier pull: see problems)"
        echo(
            f"  {user}: {s.documents} documents ({s.confirmed} confirmed), {s.spans} spans, "
            f"{s.relations} relations, {s.doc_stances} document stances{where}"
        )
        totals = {k: n for k, n in s.totals().items() if n}
        if totals:
            echo("    " + ", ".join(f"{n} {k}" for k, n in totals.items()))
    if report.problems:
        echo(
            f"{len(report.problems)} problem(s) (spans or documents that could not be mapped); "
            f"see {Path(report.out) / 'problems.jsonl'}",
            err=True,
        )
        problems_file = Path(report.out) / "problems.jsonl"
        for line in shown_list([str(p) for p in report.problems], more_in=problems_file):
            echo(f"  {line}", err=True)


__all__ = ["echo_problems", "echo_pull", "echo_push"]
