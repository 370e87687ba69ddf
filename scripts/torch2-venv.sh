#!/usr/bin/env bash
# Creates the PyTorch 2.x virtual environment that `uniforget bench` compares against (what a
# user would run instead of this toolkit), offline: the torch CPU wheel and its Python
# dependencies come from the wheelhouses of this machine image (/opt/wheels, /opt/pypi/files),
# never from an index. Debian's own sympy and typing_extensions are too old for torch 2.x, so
# the environment does not see the system site-packages.
#   scripts/torch2-venv.sh [VENV_DIR]     (default: .venv-torch2 in the project root)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$here/.venv-torch2}"
python="$(command -v python3.11 || command -v python3)"
wheel="$(ls /opt/wheels/torch-2.*+cpu-cp311-*.whl 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$wheel" ]; then
  echo "no torch 2.x CPU wheel under /opt/wheels (this machine image does not carry one)" >&2
  exit 2
fi
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import torch" 2>/dev/null; then
  echo "PyTorch 2.x environment present: $venv ($("$venv/bin/python" -c 'import torch; print(torch.__version__)'))" >&2
  exit 0
fi
rm -rf "$venv.tmp"
"$python" -m venv "$venv.tmp"
"$venv.tmp/bin/pip" install -q --no-index --find-links /opt/wheels --find-links /opt/pypi/files "$wheel" numpy
rm -rf "$venv"
mv "$venv.tmp" "$venv"
# A venv records its own path in its scripts; the interpreter itself does not care, so the
# move is safe for `bin/python`, which is all the bench calls.
echo "PyTorch 2.x environment ready: $venv ($("$venv/bin/python" -c 'import torch; print(torch.__version__)'))" >&2
