using System.Runtime.InteropServices;

namespace Losses;

/// <summary>The fraction of counted tokens whose target is among the model's <paramref name="K"/> largest logits.</summary>
/// <param name="K">k ≥ 1 (k = 1 is plain accuracy, the argmax).</param>
/// <param name="Accuracy">In [0, 1]; NaN when no token was counted.</param>
[StructLayout(LayoutKind.Auto)]
public readonly record struct TopKAccuracy(int K, double Accuracy);
