using System.Numerics.Tensors;

namespace Losses.Tests.Docs;

public class ShardedVocabularyRecipeTests
{
    /// <summary>Four ranks on four threads, each holding a quarter of a 1000-class vocabulary: every rank gets bitwise the
    /// same loss, equal to the one-shot cross-entropy with z-loss to a few ulp, and the shards' gradients put together are
    /// the one-shot gradient.</summary>
    [Fact]
    public void Vocabulary_sharded_across_ranks_combined_by_an_all_reduce()
    {
        const int rows = 5, vocab = 1000, worldSize = 4, width = vocab / worldSize;
        var random = new Random(31);
        float[] full = [.. Enumerable.Range(0, rows * vocab).Select(_ => (float)((random.NextDouble() * 10) - 5))];
        int[] targets = [1, 999, -100, 500, 250];
        var world = new ShardedVocabularyRecipe.World(worldSize);
        var losses = new float[worldSize];
        var gradients = new Tensor<float>[worldSize];
        Thread[] ranks = [.. Enumerable.Range(0, worldSize).Select(rank => new Thread(() =>
        {
            float[] shard = [.. Enumerable.Range(0, rows).SelectMany(row => full.Skip((row * vocab) + (rank * width)).Take(width))];
            gradients[rank] = Tensor.Create(new float[rows * width], [rows, width]);
            losses[rank] = ShardedVocabularyRecipe.Rank(world.Rank(rank), Tensor.Create(shard, [rows, width]), targets, vocab, gradients[rank]);
        }))];
        foreach (var thread in ranks)
        {
            thread.Start();
        }
        foreach (var thread in ranks)
        {
            thread.Join();
        }

        var expectedGradient = new float[full.Length];
        float expected = CrossEntropy.Forward<float>(full, targets, vocab, expectedGradient, zLoss: 1e-4);
        Assert.All(losses, l => Assert.Equal(BitConverter.SingleToInt32Bits(losses[0]), BitConverter.SingleToInt32Bits(l)));
        Assert.Equal(expected, losses[0], 5);
        for (int rank = 0; rank < worldSize; rank++)
        {
            float[] g = gradients[rank].ToArray();
            for (int row = 0; row < rows; row++)
            {
                for (int j = 0; j < width; j++)
                {
                    Assert.Equal(expectedGradient[(row * vocab) + (rank * width) + j], g[(row * width) + j], 6);
                }
            }
        }
    }
}
