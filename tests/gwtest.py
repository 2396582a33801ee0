"""Paths and small helpers shared by the tests (importable because tests/ is on sys.path)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED_ARTICLES = REPO / "seeds" / "articles"
SEED_GOLD = REPO / "seeds" / "gold"
SHARED_DATA = REPO.parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"

_WORDS = (
    "security council mission border talks minister agency republic region treaty forces "
    "statement road district meeting official government delegation conflict peace "
    "assistance decision draft president parliament economy trade energy supply summit "
    "week capital agreement report analysts market prices export import budget reform "
    "election court ruling investigation company plant project bank loan growth"
).split()
_CITIES = ("MOSCOW", "MINSK", "BAKU", "YEREVAN", "ASTANA", "TBILISI", "BISHKEK", "DUSHANBE")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July")


def sentence(rng, n: int = 14) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def tass_article(seed: int, paragraphs: int = 4) -> str:
    """A synthetic TASS-style article (crumb, title, lead, dateline, body, lead repeat)."""
    import random

    rng = random.Random(seed)
    title = sentence(rng, 8).rstrip(".")
    lead = sentence(rng, 18).rstrip(".")
    city, month = rng.choice(_CITIES), rng.choice(_MONTHS)
    body = [f"{city}, {month} {rng.randint(1, 28)}. /TASS/. " + sentence(rng, 25)]
    body += [" ".join(sentence(rng) for _ in range(3)) for _ in range(paragraphs)]
    body.insert(2, lead + ".")
    return "All news\n\n" + "\n\n".join([title, lead, *body]) + "\n"


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes): what must stay unchanged."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def write_articles(folder: Path, n: int) -> Path:
    """``n`` synthetic TASS articles ``a00000.txt``, ... in a new ``folder``."""
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"a{i:05d}.txt").write_text(tass_article(i), encoding="utf-8")
    return folder


def example_ids(session, project_id: int) -> dict[str, int]:
    """``{goldwire id: doccano example id}`` of a project (listed by ``session``)."""
    from goldwire.annotate import client

    return {e["meta"]["goldwire_id"]: e["id"] for e in client.list_examples(session, project_id)}


def type_ids(session, project_id: int, kind) -> dict[str, int]:
    """``{label name: label type id}`` of one kind (``client.LabelKind``) in a project."""
    from goldwire.annotate import client

    return {t.text: t.id for t in client.list_label_types(session, project_id, kind)}
