#!/usr/bin/env bash
# Regenerate requirements-lock.txt: resolve pyproject.toml's ranges to today's newest releases in
# a throwaway virtual environment (CPU PyTorch, Linux), then freeze every installed package.
# Run the test suite against the new lock before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(mktemp -d)/venv
python3 -m venv "$venv"
"$venv/bin/pip" install -q torch==2.13.0
"$venv/bin/pip" install -q -e '.[test]'
{
    echo "# Every package the README's install commands put into a fresh virtual environment, pinned"
    echo "# (Linux, CPU PyTorch, Python 3.11). Used as a pip constraints file: pip install -c requirements-lock.txt"
    echo "# Refresh with: bash scripts/refresh-lock.sh"
    # "+cpu" dropped: ==2.13.0 matches the CPU build here and the same release elsewhere
    "$venv/bin/pip" freeze --exclude-editable | grep -v '^qualkit[= ]' | sed 's/+cpu$//' | sort -f
} > requirements-lock.txt
rm -rf "$(dirname "$venv")"
echo "wrote requirements-lock.txt ($(grep -vc '^#' requirements-lock.txt) pins)"
