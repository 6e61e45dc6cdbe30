#!/usr/bin/env bash
# Build the peer virtualenvs that the benchmarks run side by side with ours:
#   .venv/bench-pandera    pandera 0.35.0 (pandas backend)   bench/validate.py
#   .venv/bench-gx         great-expectations 1.24.1         bench/validate.py
#   .venv/bench-evidently  evidently 0.7.23                  bench/drift.py
#   .venv/bench-mlflow     mlflow (models serve)             bench/serving.py
# Each gets only numpy + pandas + the peer, pinned to what resolves together; both tools still
# want pandas < 3, which is why they cannot share the project's virtualenv.
# Usage: bench/peers/setup.sh   (idempotent: an existing env with the pinned version is kept)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
UV="${UV:-$ROOT/.venv/tools/bin/uv}"
if [ ! -x "$UV" ]; then
  python3.11 -m venv .venv/tools && .venv/tools/bin/pip install -q uv
fi

build() {  # build DIR SPEC...
  local dir=$1; shift
  if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import sys; sys.exit(0)" \
      && "$UV" pip check --python "$dir/bin/python" >/dev/null 2>&1 \
      && "$UV" pip freeze --python "$dir/bin/python" 2>/dev/null | grep -qiF "$1"; then
    echo "$dir: up to date"
    return
  fi
  "$UV" venv -q --allow-existing -p python3.11 "$dir"
  "$UV" pip install -q --python "$dir/bin/python" "$@"
  echo "$dir: $("$dir/bin/python" -c 'import pandas, numpy; print("pandas", pandas.__version__, "numpy", numpy.__version__)')"
}

build .venv/bench-pandera "pandera==0.35.0" "pandas>=2.2,<3" "numpy>=2,<2.5" "psutil"
build .venv/bench-gx "great-expectations==1.24.1" "pandas>=2.2,<3" "numpy>=2,<2.5" "psutil"
build .venv/bench-evidently "evidently==0.7.23" "pandas>=2.2,<3" "numpy>=2,<2.5" "psutil"
build .venv/bench-mlflow "mlflow" "scikit-learn==1.9.1" "pandas>=2.2,<3" "psutil"
