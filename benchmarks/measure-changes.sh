#!/bin/bash
# Usage: benchmarks/measure-changes.sh LAUNCH_LABEL — one launch of the ratios the 2026-12-03 changes touch (fresh
# process per line), to set beside the morning's measure-targets table (same cells, same method).
cd "$(dirname "$0")/.."
r() { dotnet run -c Release --no-build --project benchmarks/Losses.Benchmarks -- ratio "$@" --seconds 2 2>&1 | grep -E " / |ns/element"; }
echo "# launch $1 $(date -u +%H:%M) load $(cut -d' ' -f1 /proc/loadavg) $(git rev-parse --short HEAD)"
for s in 512x1000 8x32000 2x128000; do
  r ce-slices-4 ce-forward-grad --shape $s; r token-fwd-grad ce-forward-grad --shape $s; r token-fused ce-forward-grad --shape $s
  r ce-softcap-grad ce-forward-grad --shape $s
done
r ce-slices-4-group ce-forward-grad --shape 512x1000
for s in 4096x10 512x1000; do
  for o in kl-logits distillation entropy softmax logsoftmax softmax-backward logsoftmax-backward ce-forward ce-forward-grad; do r $o exp --shape $s; done
done
r eval-compare ce-forward --shape 512x1000; r ce-softcap exp --shape 512x1000; r ce-softcap-grad exp --shape 512x1000
