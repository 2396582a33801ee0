"""The managed server's faster export: goldwire's Django app in doccano's settings.

doccano 1.8.4's export builds a model object per label with its example (text included)
joined in, and ``ExportedRelation.to_dict`` reads both of a relation's spans with one query
each (40,002 queries for 20,000 relations: 44 s for 10,000 documents with 100k spans). The
app :data:`APP_SOURCE` replaces, in its ``AppConfig.ready()``, the label loading of
``data_export.pipeline.labels`` for categories, spans and relations with one ``values_list``
query each, whose rows answer ``to_dict``/``to_tuple``/``to_string`` exactly as doccano's
objects do: the export's files stay the same, byte for byte (``tests/annotate/
test_doccano_patch.py`` compares them with doccano's own code path). Other label kinds keep
doccano's code. It patches nothing unless the installed doccano is 1.8.4 and the setting
:data:`SETTING` is true; site-packages are never edited.

:func:`settings_text` is the part of the settings module goldwire writes that installs the
app (the web server and the task worker load the same settings); :func:`install_app` writes
the app's module beside the settings module, which is on the server's ``PYTHONPATH`` (the
server's Python has no goldwire, so the app is source text here, run only over there). A
remote server exports at its own speed and gives the same files.
"""

from __future__ import annotations

from pathlib import Path

from goldwire import files

#: The module name the app has on the server (a file in ``<GOLDWIRE_HOME>/doccano``).
APP_MODULE = "goldwire_doccano_app"
APP_CONFIG = f"{APP_MODULE}.GoldwireExportConfig"
#: The setting that turns the app's patch on (a settings module may set it to False).
SETTING = "GOLDWIRE_FAST_EXPORT"

SETTINGS_TEXT = f"""
# goldwire's app: the export reads labels with one query per kind (doccano 1.8.4 only).
INSTALLED_APPS = [*INSTALLED_APPS, {APP_CONFIG!r}]  # noqa: F405
{SETTING} = True
"""


#: The app's module, written into the server's home (run by the server's Python, which has
#: Django and doccano but no goldwire: it imports nothing from goldwire).
APP_SOURCE = '''\
"""goldwire's Django app for the managed doccano server (written by goldwire)."""

from __future__ import annotations

from collections import defaultdict

from django.apps import AppConfig

PATCHED_VERSION = "1.8.4"


class _Category:
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def to_string(self):
        return self.text


class _Span:
    __slots__ = ("id", "text", "start_offset", "end_offset")

    def __init__(self, id_, text, start, end):
        self.id, self.text, self.start_offset, self.end_offset = id_, text, start, end

    def to_dict(self):
        return {
            "id": self.id,
            "label": self.text,
            "start_offset": self.start_offset,
            "end_offset": self.end_offset,
        }

    def to_tuple(self):
        return self.start_offset, self.end_offset, self.text


class _Relation:
    __slots__ = ("id", "from_id", "to_id", "text")

    def __init__(self, id_, from_id, to_id, text):
        self.id, self.from_id, self.to_id, self.text = id_, from_id, to_id, text

    def to_dict(self):
        return {"id": self.id, "from_id": self.from_id, "to_id": self.to_id, "type": self.text}


#: Per label collection: the columns read (the example's id first) and the row's class.
FAST = {
    "Categories": (("example_id", "label__text"), _Category),
    "Spans": (("example_id", "id", "label__text", "start_offset", "end_offset"), _Span),
    "Relations": (("example_id", "id", "from_id_id", "to_id_id", "type__text"), _Relation),
}


def _fast_init(original):
    """``Labels.__init__`` with bulk rows for the collections in :data:`FAST`."""

    def __init__(self, examples, user=None):
        fast = FAST.get(type(self).__name__)
        if fast is None:
            original(self, examples, user)
            return
        columns, make = fast
        self.label_groups = defaultdict(list)
        labels = self.label_class.objects.filter(example__in=examples)
        if user:
            labels = labels.filter(user=user)
        groups = self.label_groups
        for row in labels.values_list(*columns):
            groups[row[0]].append(make(*row[1:]))

    __init__.goldwire_original = original
    return __init__


def patch() -> bool:
    """Install the bulk label loading (once); whether it is installed."""
    from data_export.pipeline import labels

    if not hasattr(labels.Labels.__init__, "goldwire_original"):
        labels.Labels.__init__ = _fast_init(labels.Labels.__init__)
    return True


def unpatch() -> None:
    """doccano's own label loading again."""
    from data_export.pipeline import labels

    original = getattr(labels.Labels.__init__, "goldwire_original", None)
    if original is not None:
        labels.Labels.__init__ = original


def applies() -> bool:
    """Whether this server should get the patch: doccano 1.8.4 and the setting on."""
    from importlib.metadata import PackageNotFoundError, version

    from django.conf import settings

    if not getattr(settings, "GOLDWIRE_FAST_EXPORT", False):
        return False
    try:
        return version("doccano") == PATCHED_VERSION
    except PackageNotFoundError:
        return False


class GoldwireExportConfig(AppConfig):
    name = "goldwire_doccano_app"
    label = "goldwire_doccano_app"
    verbose_name = "goldwire: fast export"

    def ready(self):
        if applies():
            patch()
'''


def app_path(root: Path) -> Path:
    return root / f"{APP_MODULE}.py"


def install_app(root: Path) -> Path:
    """Write the app's module into the server's home ``root``; returns its path."""
    return files.write_text(app_path(root), APP_SOURCE)


def settings_text() -> str:
    """The lines appended to the managed server's settings module."""
    return SETTINGS_TEXT
