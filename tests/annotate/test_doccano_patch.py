"""goldwire's Django app on the managed server (annotate/doccano_patch.py): the export it
speeds up is the same, byte for byte, as doccano's own.

The reference is doccano 1.8.4's own code path, run for real: the server's Python with this
home's settings module, except that a wrapper settings module sets ``GOLDWIRE_FAST_EXPORT =
False`` (the app then patches nothing, which the script checks), calls doccano's export task
function ``data_export.celery_tasks.export_dataset`` in-process and reads its zip. The
patched side is what the running server's task worker produces over the REST API. The
project has spans (overlapping labels, several per document), relations, three annotators,
confirmed examples and a document-stance project with several categories per document.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess

import pytest

from goldwire.annotate import client, doccano_patch, push, server
from goldwire.annotate.http import connect
from goldwire.annotate.members import add_member, create_user
from goldwire.annotate.server_venv import backend_dir, venv_python
from goldwire.annotate.settings import Connection, server_paths
from goldwire.schema import Document, LabelSchema

EXPORT_SCRIPT = r"""
import base64, io, json, os, sys, zipfile
import django
django.setup()
from data_export.celery_tasks import export_dataset
from data_export.pipeline import labels
request = json.loads(sys.stdin.read())
out = {"patched": hasattr(labels.Labels.__init__, "goldwire_original"), "exports": []}
for project_id, confirmed in request:
    path = export_dataset(project_id, "JSONL", confirmed)
    with zipfile.ZipFile(path) as archive:
        files = {n: base64.b64encode(archive.read(n)).decode() for n in archive.namelist()}
    os.remove(path)
    out["exports"].append(files)
print(json.dumps(out))
"""


def _doccano_exports(home, venv, requests: list, *, fast: bool, tmp_path) -> dict:
    """Run doccano's export function in the server's Python; ``fast``: with goldwire's
    settings as written, else with a wrapper that turns the app's patch off."""
    paths = server_paths(home)
    env = server._server_env(paths, backend_dir(venv))
    if not fast:
        wrapper = tmp_path / "reference_settings.py"
        wrapper.write_text(
            f"from {paths.settings_module.stem} import *  # noqa\n"
            f"{doccano_patch.SETTING} = False\n",
            encoding="utf-8",
        )
        env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
        env["DJANGO_SETTINGS_MODULE"] = "reference_settings"
    result = subprocess.run(
        [str(venv_python(venv)), "-c", EXPORT_SCRIPT],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        env=env,
        cwd=str(backend_dir(venv)),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _unzip(files: dict[str, str]) -> dict[str, bytes]:
    return {name: base64.b64decode(data) for name, data in files.items()}


DOCS = [
    Document(id="p1", text="Armenia and Azerbaijan met Russia in Moscow on Friday."),
    Document(id="p2", text="Baku accuses Yerevan; Lavrov says nothing."),
    Document(id="p3", text="Pashinyan and Aliyev spoke."),
]


def _span(session, pid, example, doc, surface, label_id) -> int:
    start = doc.text.index(surface)
    return client.create_span(session, pid, example, start, start + len(surface), label_id)


def _annotate(admin, main: int, ds: int, users: dict[str, Connection]) -> dict[str, int]:
    """Labels by three annotators; returns how many relations each made (by hand: 3, 1, 0)."""
    ids = {e["meta"]["goldwire_id"]: e["id"] for e in client.list_examples(admin, main)}
    ds_ids = {e["meta"]["goldwire_id"]: e["id"] for e in client.list_examples(admin, ds)}
    spans = client.sync_label_types(admin, main, client.LabelKind.span, []).ids
    rels = client.sync_label_types(admin, main, client.LabelKind.relation, []).ids
    cats = client.sync_label_types(admin, ds, client.LabelKind.category, []).ids
    p1, p2, p3 = DOCS
    with connect(users["ann"]) as ann:
        arm = _span(ann, main, ids["p1"], p1, "Armenia", spans["GPE"])
        aze = _span(ann, main, ids["p1"], p1, "Azerbaijan", spans["GPE"])
        rus = _span(ann, main, ids["p1"], p1, "Russia", spans["GPE"])
        _span(ann, main, ids["p1"], p1, "Moscow", spans["LOC"])
        client.create_relation(ann, main, ids["p1"], arm, aze, rels["NEUTRAL"])
        client.create_relation(ann, main, ids["p1"], rus, arm, rels["SUPPORT"])
        baku = _span(ann, main, ids["p2"], p2, "Baku", spans["GPE"])
        yer = _span(ann, main, ids["p2"], p2, "Yerevan", spans["GPE"])
        client.create_relation(ann, main, ids["p2"], baku, yer, rels["OPPOSE"])
        client.confirm_example(ann, main, ids["p1"])
        client.confirm_example(ann, main, ids["p3"])
        client.create_category(ann, ds, ds_ids["p1"], cats["Azerbaijan:NEUTRAL"])
        client.create_category(ann, ds, ds_ids["p1"], cats["Armenia:SUPPORT"])
    with connect(users["bob"]) as bob:
        rus = _span(bob, main, ids["p1"], p1, "Russia", spans["ORG"])
        mos = _span(bob, main, ids["p1"], p1, "Moscow", spans["GPE"])
        client.create_relation(bob, main, ids["p1"], rus, mos, rels["SUPPORT"])
        _span(bob, main, ids["p3"], p3, "Aliyev", spans["PER"])
        client.confirm_example(bob, main, ids["p2"])
        client.create_category(bob, ds, ds_ids["p2"], cats["Armenia:OPPOSE"])
    with connect(users["cid"]) as cid:
        _span(cid, main, ids["p3"], p3, "Pashinyan", spans["PER"])
    return {"ann": 3, "bob": 1, "cid": 0}


@pytest.fixture(scope="module")
def exported(_doccano_session, doccano_venv, tmp_path_factory):
    home = _doccano_session.home
    admin = connect(_doccano_session.connection)
    labels = LabelSchema.from_dict(
        {**LabelSchema.default().to_dict(), "doc_stance_targets": ["Armenia", "Azerbaijan"]}
    )
    name = f"patch-{secrets.token_hex(3)}"
    report = push.push(admin, DOCS, push.PushOptions(project=name, labels=labels, guideline=""))
    main, ds = (t.project["id"] for t in report.targets)
    users = {}
    for who in ("ann", "bob", "cid"):
        password = secrets.token_urlsafe(16)
        users[who] = Connection(admin.url, f"{who}-{secrets.token_hex(2)}", password)
        create_user(admin, users[who].username, password)
        for pid in (main, ds):
            add_member(admin, pid, users[who].username)
    relations = _annotate(admin, main, ds, users)
    requests = [(pid, confirmed) for pid in (main, ds) for confirmed in (False, True)]
    served = [
        client.fetch_export(admin, pid, client.start_export(admin, pid, confirmed_only=c))
        for pid, c in requests
    ]
    admin.close()
    tmp = tmp_path_factory.mktemp("reference")
    return {
        "served": served,
        "reference": _doccano_exports(home, doccano_venv, requests, fast=False, tmp_path=tmp),
        "fast": _doccano_exports(home, doccano_venv, requests, fast=True, tmp_path=tmp),
        "users": {who: c.username for who, c in users.items()},
        "relations": relations,
    }


@pytest.mark.doccano
def test_the_app_patches_only_with_goldwire_settings(exported):
    assert exported["fast"]["patched"] is True
    assert exported["reference"]["patched"] is False


@pytest.mark.doccano
def test_the_servers_export_is_byte_identical_to_doccanos_own(exported):
    reference = [_unzip(files) for files in exported["reference"]["exports"]]
    stems = [{n.removesuffix(".jsonl"): data for n, data in files.items()} for files in reference]
    assert exported["served"] == stems  # the task worker's export, read over the API
    fast = [_unzip(files) for files in exported["fast"]["exports"]]
    assert fast == reference  # the app's code path, in-process


@pytest.mark.doccano
def test_the_compared_exports_hold_the_labels_made(exported):
    """Not a comparison of empty files: the relations and categories made are there."""
    everything, confirmed, ds_everything, _ = exported["served"]
    names = exported["users"]
    for who, count in exported["relations"].items():
        records = list(client.export_lines(everything[names[who]]))
        made = [r for rec in records for r in rec["relations"]]
        assert len(made) == count
        span_ids = {s["id"] for rec in records for s in rec["entities"]}
        assert {r["from_id"] for r in made} | {r["to_id"] for r in made} <= span_ids
    done = {who: sorted(r["goldwire_id"] for r in client.export_lines(confirmed[names[who]]))
            for who in names}  # fmt: skip
    assert done == {"ann": ["p1", "p3"], "bob": ["p2"], "cid": []}
    ann = {r["goldwire_id"]: r for r in client.export_lines(ds_everything[names["ann"]])}
    assert ann["p1"]["label"] == ["Armenia:SUPPORT", "Azerbaijan:NEUTRAL"]  # doccano sorts


def test_the_settings_install_the_app_and_its_source_compiles(tmp_path):
    path = doccano_patch.install_app(tmp_path)
    assert path == tmp_path / "goldwire_doccano_app.py"
    compile(path.read_text(encoding="utf-8"), str(path), "exec")
    text = doccano_patch.settings_text()
    assert "'goldwire_doccano_app.GoldwireExportConfig'" in text
    assert "GOLDWIRE_FAST_EXPORT = True" in text
