#!/bin/bash
# Usage: benchmarks/measure-targets.sh LAUNCH_LABEL  — one launch of every ratio the open issues' targets name (fresh process per line).
cd "$(dirname "$0")/.."
r() { dotnet run -c Release --no-build --project benchmarks/Losses.Benchmarks -- ratio "$@" --seconds 2 2>&1 | grep -E " / |ns/element"; }
echo "# launch $1 $(date -u +%H:%M) load $(cut -d' ' -f1 /proc/loadavg) $(git rev-parse --short HEAD)"
for s in 512x1000 8x32000 2x128000; do
  for o in ce-forward logsumexp softmax ce-forward-grad; do r $o exp --shape $s; done
  r ce-forward-2t ce-forward --shape $s; r ce-forward-grad-2t ce-forward-grad --shape $s
  r ce-slices-4 ce-forward-grad --shape $s; r ce-slices-4-group ce-forward-grad --shape $s; r token-fwd-grad ce-forward-grad --shape $s; r token-fused ce-forward-grad --shape $s
  r ce-zloss-grad ce-forward-grad --shape $s; r ce-half-grad ce-long-grad --shape $s
  r eval-compare ce-forward --shape $s; r eval-perplexity-ce ce-forward --shape $s
done
for o in kl-logits distillation ce-forward ce-soft-grad entropy softmax logsoftmax softmax-backward logsoftmax-backward ce-forward-grad; do r $o exp --shape 4096x10; done
r threshold sort-keys --shape 1000x1000; r threshold-weighted sort-keys --shape 1000x1000
