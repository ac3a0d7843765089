using System.Globalization;
using Losses.ShardWorker;

// Usage: Losses.ShardWorker <shard> <shardCount> <seed>
// Scores the batches b with b % shardCount == shard and prints two lines: the PerplexityAccumulator and ModelComparison JSON.
int shard = int.Parse(args[0], CultureInfo.InvariantCulture);
int shardCount = int.Parse(args[1], CultureInfo.InvariantCulture);
int seed = int.Parse(args[2], CultureInfo.InvariantCulture);
var (perplexity, comparison) = ShardCorpus.Score(seed, batch => batch % shardCount == shard);
Console.WriteLine(perplexity.ToJson());
Console.WriteLine(comparison.ToJson());
