using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Losses.Tests.Docs;

/// <summary>
/// The recipe of docs/guides/vocabulary-shards.md: cross-entropy over a vocabulary whose columns are sharded across ranks
/// (processes or machines), the partial states combined by an all-reduce. The ranks here are threads and the transport is
/// memory (<see cref="World"/>), but each rank sees only its shard and bytes, as it would over MPI or sockets.
/// </summary>
public static class ShardedVocabularyRecipe
{
    /// <summary>One rank's view of a world of ranks: its number, and an all-reduce of byte buffers with a user operator
    /// (MPI_Allreduce with MPI_Op_create, or an all-gather then a fold). Operands are folded in rank order, so every rank
    /// gets the same bits.</summary>
    public interface ICommunicator
    {
        int Rank { get; }

        byte[] AllReduce(byte[] mine, Func<byte[], byte[], byte[]> combine);
    }

    /// <summary>The code every rank runs, given its shard [rows × width] of the logits (columns [rank·width, (rank + 1)·width)).</summary>
    public static float Rank(ICommunicator comm, Tensor<float> shard, int[] targets, int classCount, Tensor<float> shardGradient)
    {
        // <vocabulary-shards>
        // This rank's partials: its shard is columns [offset, offset + width) of every row (targets are the rows' full targets).
        int width = (int)shard.Lengths[1], offset = comm.Rank * width;
        var partials = new VocabularyPartial[targets.Length];
        CrossEntropySlices.Forward<float>(shard, targets, partials, classCount, offset);

        // All-reduce them as bytes (72 per row): the operator combines two buffers of partials row by row.
        byte[] reduced = comm.AllReduce(MemoryMarshal.AsBytes(partials.AsSpan()).ToArray(), (left, right) =>
        {
            VocabularyPartial[] sum = MemoryMarshal.Cast<byte, VocabularyPartial>(left).ToArray();
            CrossEntropySlices.Combine(MemoryMarshal.Cast<byte, VocabularyPartial>(right), sum);
            return MemoryMarshal.AsBytes(sum.AsSpan()).ToArray();
        });
        ReadOnlySpan<VocabularyPartial> combined = MemoryMarshal.Cast<byte, VocabularyPartial>(reduced);

        // Every rank now has the loss, and writes the gradient of its own columns only.
        float loss = CrossEntropySlices.Loss<float>(combined, classCount, zLoss: 1e-4);
        CrossEntropySlices.Backward<float>(shard, combined, shardGradient, classCount, offset, zLoss: 1e-4);
        // </vocabulary-shards>
        return loss;
    }

    /// <summary>An in-memory world of <paramref name="size"/> ranks.</summary>
    public sealed class World(int size)
    {
        private readonly Barrier _barrier = new(size);
        private readonly byte[][] _slots = new byte[size][];

        public ICommunicator Rank(int rank) => new Member(this, rank);

        private sealed class Member(World world, int rank) : ICommunicator
        {
            public int Rank => rank;

            public byte[] AllReduce(byte[] mine, Func<byte[], byte[], byte[]> combine)
            {
                world._slots[rank] = mine;
                world._barrier.SignalAndWait();
                byte[] result = world._slots[0];
                for (int r = 1; r < world._slots.Length; r++)
                {
                    result = combine(result, world._slots[r]);
                }
                world._barrier.SignalAndWait();   // nobody overwrites a slot before every rank has read them all
                return result;
            }
        }
    }
}
