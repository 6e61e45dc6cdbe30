#!/usr/bin/env bash
# Build the peer virtualenvs that the benchmarks run side by side with ours:
#   .venv/bench-pandera    pandera 0.35.0 (pandas backend)   bench/validate.py
#   .venv/bench-gx         great-expectations 1.24.1         bench/validate.py
#   .venv/bench-evidently  evidently 0.7.23                  bench/drift.py
#   .venv/bench-mlflow     mlflow (models serve)             bench/serving.py
# Each gets only numpy + pandas + the peer, pinned to what resolves together. pandera and GX run on
# pandas 3.1 with pyarrow, where text columns are Arrow-backed strings (pandas 3's default `str`
# dtype): their fastest supported configuration, and the one ../shared/PEERS.md measured them in.
# Evidently 0.7 still needs pandas < 3 (PEERS.md measured it on pandas 2.3), mlflow keeps its own.
# Usage: bench/peers/setup.sh   (idempotent: an existing env with the pinned version is kept)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
UV="${UV:-$ROOT/.venv/tools/bin/uv}"
if [ ! -x "$UV" ]; then
  python3.11 -m venv .venv/tools && .venv/tools/bin/pip install -q uv
fi

build() {  # build DIR SPEC...
  # The env is kept only if it was built from these very specs (a stamp file) and still checks:
  # a pin change (pandas 2 -> 3) rebuilds it.
  local dir=$1; shift
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.bench-specs" 2>/dev/null)" = "$*" ] \
      && "$UV" pip check --python "$dir/bin/python" >/dev/null 2>&1; then
    echo "$dir: up to date"
    return
  fi
  "$UV" venv -q --allow-existing -p python3.11 "$dir"
  "$UV" pip install -q --python "$dir/bin/python" "$@"
  echo "$*" > "$dir/.bench-specs"
  echo "$dir: $("$dir/bin/python" -c 'import pandas, numpy; print("pandas", pandas.__version__, "numpy", numpy.__version__)')"
}

build .venv/bench-pandera "pandera==0.35.0" "pandas>=3.1,<3.2" "pyarrow>=19" "numpy>=2,<2.5" "psutil"
build .venv/bench-gx "great-expectations==1.24.1" "pandas>=3.1,<3.2" "pyarrow>=19" "numpy>=2,<2.5" "psutil"
build .venv/bench-evidently "evidently==0.7.23" "pandas>=2.2,<3" "numpy>=2,<2.5" "psutil"
build .venv/bench-mlflow "mlflow" "scikit-learn==1.9.1" "pandas>=2.2,<3" "psutil"
