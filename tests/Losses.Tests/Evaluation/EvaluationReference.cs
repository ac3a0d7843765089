using System.Numerics;
using System.Text.Json;
using Losses.Kernels;

namespace Losses.Tests;

/// <summary>Reads Reference/evaluation.json (evaluation_reference.py) and records the per-token figures of the evaluation row op.</summary>
internal static class EvaluationReference
{
    public const string File = "evaluation.json";

    public static TheoryData<string> Names(string kind) => Reference.Names(File, c => c.Text("kind") == kind);

    public static int[] Targets(JsonElement c) => [.. c.GetProperty("targets").EnumerateArray().Select(e => e.GetInt32())];

    public static long[] Longs(JsonElement c, string property) => [.. c.GetProperty(property).EnumerateArray().Select(e => e.GetInt64())];

    /// <summary>The figures of every counted token, in row order, straight from the row op.</summary>
    public sealed class Recorder : ITokenSink, IPairSink
    {
        public List<TokenFigures> Tokens { get; } = [];

        public List<PairFigure> Pairs { get; } = [];

        public void Add(in TokenFigures figures) => Tokens.Add(figures);

        public void Add(in PairColumns figures)
        {
            for (int row = 0; row < figures.Rows; row++)
            {
                byte flags = figures.FlagsOf(row);
                if ((flags & PairColumns.Counted) != 0)
                {
                    Pairs.Add(new PairFigure(
                        figures[PairColumns.ReferenceLoss, row], figures[PairColumns.Loss, row], figures[PairColumns.Divergence, row],
                        figures[PairColumns.ProbabilityDifference, row], (flags & PairColumns.SameTop) != 0));
                }
            }
        }
    }

    /// <summary>One counted token's figures under a reference model P and a model Q.</summary>
    public readonly record struct PairFigure(double ReferenceLoss, double Loss, double Divergence, double ProbabilityDifference, bool SameTop);

    public static Recorder Record<T>(T[] logits, T[]? other, int[] targets, int classCount, PerplexityMetrics metrics = PerplexityMetrics.All)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var recorder = new Recorder();
        if (other is null)
        {
            TokenBatches.Run<T, int>(logits, targets, classCount, -100, recorder, metrics);
        }
        else
        {
            TokenBatches.RunPair<T, T, T, int>(logits, other, targets, classCount, -100, recorder);
        }
        return recorder;
    }
}
