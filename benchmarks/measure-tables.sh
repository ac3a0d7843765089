#!/usr/bin/env bash
# Issue 16's before/after table, in markdown on stdout (progress on stderr). Re-run exactly this for the "after" table:
#   benchmarks/measure-tables.sh > after.md
# 3 launches x 4 shapes x 18 rows, each an alternating in-process ratio measurement of 1.5 s in a fresh process
# (about 20 minutes on a loaded 2-core machine). Extra arguments pass through (e.g. --launches 5, --seconds 3,
# --shapes 512x1000, --rows ce-forward,ce-forward-grad).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build benchmarks/Losses.Benchmarks -c Release -warnaserror >&2
echo "Measured $(date -u +%F) at $(git rev-parse --short HEAD), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg):"
echo
dotnet run -c Release --no-build --project benchmarks/Losses.Benchmarks -- tables --launches 3 --seconds 1.5 "$@"
