#!/usr/bin/env bash
# Wheel-only stage: build goldwire's wheel, install it ALONE into fresh venvs (no system site
# packages, no repository on sys.path) and run every command on the seed inputs, so that an
# import the wheel's declared dependencies do not bring fails here, not at a user's.
#   1. core: the wheel with `-c constraints.txt`, then each command (exit code checked, the
#      failing one named with the end of its output); the Doccano commands against a managed
#      server started from this venv (its state in a temporary GOLDWIRE_HOME, its venv the
#      one `make doccano` installed, or installed now when missing);
#      then [report] added to that venv (what `make demo` installs): the report has its plots
#   2. one venv per group of extras that must install together: pip check, adapter imports,
#      a spaCy pipeline's predictions, a corpus built on Ray
# Usage: bash .ci/wheel_smoke.sh [core|extras|all] (default all). PYTHON picks the interpreter;
# PIP_CACHE_DIR (default pip's own) is shared by every venv of the stage.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PYTHON=${PYTHON:-python3}
WHAT=${1:-all}
STAGE_START=$SECONDS
WORK=$(mktemp -d "${TMPDIR:-/tmp}/goldwire-wheel.XXXXXX")
LOG=$WORK/command.log
COUNT=0
SERVER_UP=
export PIP_DISABLE_PIP_VERSION_CHECK=1

cleanup() {
    local rc=$?
    if [ -n "$SERVER_UP" ]; then
        "$WORK/core/bin/goldwire" annotate server stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

# run LABEL CMD...: runs CMD with its output in a log; on a non-zero exit, names the command
# and shows the end of its output, and the stage fails
run() {
    local label=$1 began=$SECONDS rc
    shift
    if "$@" >"$LOG" 2>&1; then
        COUNT=$((COUNT + 1))
        echo "  ok  $label ($((SECONDS - began)) s)"
    else
        rc=$?
        echo "wheel stage FAILED: \`$label\` exited $rc; the end of its output:"
        tail -n 30 "$LOG" | sed 's/^/    | /'
        exit 1
    fi
}

# expect LABEL PATH...: each path is a file or a folder with a file in it, not empty
expect() {
    local label=$1 path
    shift
    for path in "$@"; do
        if [ -d "$path" ]; then
            [ -n "$(find "$path" -type f -size +0)" ] && continue
        elif [ -s "$path" ]; then
            continue
        fi
        echo "wheel stage FAILED: \`$label\` wrote nothing in $path"
        exit 1
    done
}

build_wheel() {
    echo "wheel stage: building the wheel"
    local src=$WORK/src
    mkdir -p "$src" "$WORK/dist"
    # the files git would commit (tracked and new, not ignored): nothing written into the repo
    git ls-files -z --cached --others --exclude-standard \
        | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$src"
    run "pip wheel --no-deps ." "$PYTHON" -m pip wheel -q --no-deps "$src" -w "$WORK/dist"
    WHEEL=$(ls "$WORK"/dist/goldwire-*.whl)
}

# new_venv NAME REQUIREMENT: a fresh venv with the wheel installed as REQUIREMENT
new_venv() {
    local venv=$WORK/$1 began=$SECONDS
    "$PYTHON" -m venv "$venv"
    run "pip install $2 (venv $1)" "$venv/bin/python" -m pip install -q -c "$REPO/constraints.txt" "$2"
    echo "      venv $1: $(du -sh "$venv" | cut -f1), $((SECONDS - began)) s"
}

core_commands() {
    local gw=$WORK/core/bin/goldwire seed=$REPO/seeds/gold/seed.jsonl run_dir=$WORK/run
    local readers=$REPO/tests/data/readers
    mkdir -p "$run_dir" && cd "$run_dir"  # outputs land here, never in the repository
    run "goldwire --help" "$gw" --help
    run "goldwire --version" "$gw" --version
    for sub in corpus annotate evaluate "annotate server"; do
        # shellcheck disable=SC2086
        run "goldwire $sub --help" "$gw" $sub --help
    done
    run "corpus build" "$gw" corpus build "$REPO/seeds/articles" --out corpus --name seed
    # other readers' code paths: HTML (trafilatura), JSONL, Reuters SGML, plain text (its
    # language detected: py3langid)
    mkdir -p plain
    printf '%s\n\n%s\n' "Oil prices rose on Tuesday" "Traders in London cited supply worries \
after the pipeline was shut for repairs, and analysts expected the rally to go on." >plain/oil.txt
    run "corpus build (html, jsonl, sgml, text)" "$gw" corpus build "$readers/article.html" \
        "$readers/articles.jsonl" "$readers/reuters_sample.sgm" plain --out mixed --name mixed \
        --json mixed.json
    # a reader that fails on an import rejects its file and the build still exits 0: count
    # what was kept (the page 1, JSONL lines 1 and 6, Reuters stories 1 and 3, the text 1;
    # rejected: JSONL lines 3, 4, 5 and 7, Reuters story 2)
    run "corpus build (html, jsonl, sgml, text) kept 6, rejected 5" "$WORK/core/bin/python" -c \
        'import json, sys; r = json.load(open("mixed.json")); why = r["rejections"]
kept, rejected = sum(r["splits"].values()), len(why)
sys.exit(f"kept {kept}, rejected {rejected}: {why}" if (kept, rejected) != (6, 5) else 0)'
    run "corpus info" "$gw" corpus info corpus --json info.json
    expect "corpus info" info.json
    run "corpus export -f jsonl" "$gw" corpus export corpus -f jsonl -o export-jsonl
    run "corpus export -f conll" "$gw" corpus export corpus -f conll -o export-conll
    run "corpus export -f parquet" "$gw" corpus export corpus -f parquet -o export-parquet
    expect "corpus export" export-jsonl export-conll export-parquet
    run "corpus attach-gold" "$gw" corpus attach-gold corpus "$seed" --out corpus-gold
    run "corpus migrate" "$gw" corpus migrate "$REPO/tests/data/corpus_v1/arrow" --out migrated
    run "evaluate score" "$gw" evaluate score --gold "$seed" --pred "$seed" --json -
    for model in gazetteer sklearn-ner sklearn-stance; do
        run "evaluate train -m $model" "$gw" evaluate train -m "$model" -c "$seed" -o "m-$model"
        run "evaluate predict -m $model" \
            "$gw" evaluate predict -m "$model:m-$model" -c "$seed" -o "p-$model.jsonl"
        expect "evaluate predict -m $model" "p-$model.jsonl"
    done
    run "evaluate compare" "$gw" evaluate compare p-gazetteer.jsonl p-sklearn-ner.jsonl \
        --gold "$seed"
    run "evaluate report (no matplotlib)" "$gw" evaluate report gazetteer=p-gazetteer.jsonl \
        sklearn-ner=p-sklearn-ner.jsonl --gold "$seed" --out report
    expect "evaluate report (no matplotlib)" report/report.md report/results.json
    run "evaluate benchmark" "$gw" evaluate benchmark --gold "$seed" \
        --models rules-stance,sklearn-ner:m-sklearn-ner --out bench
    cd "$REPO"
}

# the [report] extra added to the core venv (what `make demo` installs): the report has plots
report_extra() {
    local began=$SECONDS
    cd "$WORK/run"
    run "pip install goldwire[report] (venv core)" "$WORK/core/bin/python" -m pip install -q \
        -c "$REPO/constraints.txt" "goldwire[report] @ file://$WHEEL"
    run "pip check (venv core + report)" "$WORK/core/bin/python" -m pip check
    run "evaluate report (matplotlib)" "$WORK/core/bin/goldwire" evaluate report \
        gazetteer=p-gazetteer.jsonl --gold "$REPO/seeds/gold/seed.jsonl" --out report-plots
    expect "evaluate report (matplotlib)" report-plots/plots
    echo "      venv core + report: $(du -sh "$WORK/core" | cut -f1), $((SECONDS - began)) s more"
    cd "$REPO"
}

doccano_commands() {
    local gw=$WORK/core/bin/goldwire seed=$REPO/seeds/gold/seed.jsonl port
    cd "$WORK/run"
    # the server venv a user's goldwire would use (GOLDWIRE_DOCCANO_VENV, else the default
    # under GOLDWIRE_HOME): `make doccano` installed it; the server's own state goes to a
    # temporary home, on a free port
    GOLDWIRE_DOCCANO_VENV=$("$WORK/core/bin/python" -c \
        'from goldwire.annotate.settings import server_paths; print(server_paths().venv)')
    export GOLDWIRE_DOCCANO_VENV GOLDWIRE_HOME=$WORK/home
    unset GOLDWIRE_DOCCANO_URL GOLDWIRE_DOCCANO_USERNAME GOLDWIRE_DOCCANO_PASSWORD
    port=$("$WORK/core/bin/python" -c \
        'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    export GOLDWIRE_DOCCANO_PORT=$port
    SERVER_UP=1
    run "annotate server start" "$gw" annotate server start
    run "annotate server status" "$gw" annotate server status
    run "annotate push" "$gw" annotate push corpus --project smoke --pre-annotate "$seed"
    run "annotate pull" "$gw" annotate pull --project smoke --out pulled
    expect "annotate pull" pulled/summary.json
    # two annotators who agree (the seed gold twice) for the commands that read a pull folder
    mkdir -p two/annotators && cp "$seed" two/annotators/a.jsonl && cp "$seed" two/annotators/b.jsonl
    run "annotate agreement" "$gw" annotate agreement two
    run "annotate adjudicate" "$gw" annotate adjudicate two -o adjudicated.jsonl
    expect "annotate adjudicate" adjudicated.jsonl
    run "annotate server stop" "$gw" annotate server stop
    SERVER_UP=
    cd "$REPO"
}

# extras_venv NAME EXTRAS MODULE...: the wheel with EXTRAS in a venv of its own (an earlier
# group's venv removed first: disk stays small); pip check; each MODULE imports
extras_venv() {
    local name=$1 extras=$2 module
    shift 2
    rm -rf "${WORK:?}/core" "${WORK:?}/$PREVIOUS"
    PREVIOUS=$name
    new_venv "$name" "goldwire[$extras] @ file://$WHEEL"
    run "pip check (venv $name)" "$WORK/$name/bin/python" -m pip check
    for module in "$@"; do
        run "import $module (venv $name)" "$WORK/$name/bin/python" -c "import $module"
    done
}

# an entity ruler saved by spaCy: a real pipeline without downloaded weights
SPACY_PIPELINE='
import spacy, sys
nlp = spacy.blank("en")
nlp.add_pipe("entity_ruler").add_patterns([{"label": "GPE", "pattern": "Moscow"}])
nlp.to_disk(sys.argv[1])
'

extras_groups() {
    local seed=$REPO/seeds/gold/seed.jsonl
    mkdir -p "$WORK/run" && cd "$WORK/run"
    extras_venv spacy spacy goldwire.evaluate.models.spacy_adapter spacy
    run "save a spaCy pipeline" "$WORK/spacy/bin/python" -c "$SPACY_PIPELINE" ruler
    run "evaluate predict -m spacy:PATH" "$WORK/spacy/bin/goldwire" evaluate predict \
        -m spacy:ruler -c "$seed" -o p-spacy.jsonl
    expect "evaluate predict -m spacy:PATH" p-spacy.jsonl
    # GLiNER caps transformers itself: this group shows [transformers] and [gliner] agree
    extras_venv models transformers,gliner,models goldwire.evaluate.models.hf_adapter \
        goldwire.evaluate.models.gliner_adapter transformers gliner torch
    extras_venv ray ray goldwire.corpus.ray_engine ray.data
    run "corpus build --engine ray" "$WORK/ray/bin/goldwire" corpus build \
        "$REPO/seeds/articles" --engine ray --workers 1 --out ray-corpus --name seed
    cd "$REPO"
}

PREVIOUS=none
build_wheel
if [ "$WHAT" = all ] || [ "$WHAT" = core ]; then
    echo "wheel stage: core install (the wheel alone) and every command"
    new_venv core "goldwire @ file://$WHEEL"
    run "pip check (venv core)" "$WORK/core/bin/python" -m pip check
    core_commands
    doccano_commands
    report_extra
fi
if [ "$WHAT" = all ] || [ "$WHAT" = extras ]; then
    echo "wheel stage: extras that install together"
    extras_groups
fi
echo "wheel stage: all $COUNT commands exited 0 in $((SECONDS - STAGE_START)) s"
