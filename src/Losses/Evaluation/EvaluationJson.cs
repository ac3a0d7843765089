using System.Text.Json.Serialization;

namespace Losses;

/// <summary>Source-generated System.Text.Json metadata for the evaluation states (no reflection, trimming- and AOT-safe).</summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(PerplexityState))]
[JsonSerializable(typeof(ModelComparisonState))]
internal sealed partial class EvaluationJson : JsonSerializerContext;
