"""goldwire: wire-service news to an annotated corpus and extraction benchmarks.

The import root is ``goldwire``; its stages are ``goldwire.corpus``, ``goldwire.annotate`` and
``goldwire.evaluate``. In the repository those stages live in the top-level folders
``corpus/``, ``annotate/`` and ``evaluate/`` (installed wheels put them under ``goldwire/``).
When goldwire is imported from a source checkout, the checkout's top level is added to this
package's search path so that ``goldwire.corpus`` finds ``corpus/``. The stage folders have no
``__init__.py``, so a bare ``import evaluate`` still finds Hugging Face's ``evaluate``.
"""

from __future__ import annotations

from pathlib import Path as _Path

__version__ = "0.1.0"

SCHEMA_VERSION = 2
"""Version of the goldwire document schema written into every dataset."""


def _extend_path_for_checkout() -> None:
    root = _Path(__file__).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    if not (root / "corpus").is_dir() or not pyproject.is_file():
        return
    try:
        head = pyproject.read_text(encoding="utf-8")[:2000]
    except OSError:
        return
    if 'name = "goldwire"' in head and str(root) not in __path__:
        __path__.append(str(root))


_extend_path_for_checkout()
