using System.Runtime.Intrinsics;
using Losses.Kernels;

namespace Losses.Benchmarks.Ratio;

/// <summary>Throwaway probes of the short-row block path (where the time of ce-forward goes).</summary>
internal static unsafe class ShortRowProbes
{
    public static IReadOnlyList<Operation> All { get; } =
    [
        new("probe-load", "block path: transposed load only", w => Run<LoadOnly>(w)),
        new("probe-maxexp", "block path: load, max, exp-sum", w => Run<MaxExp>(w)),
        new("probe-lse", "block path: load, max, exp-sum, log", w => Run<Lse>(w)),
        new("probe-lse-mis", "probe-lse with the tile 32 bytes off a cache line", w => Run<Lse>(w, misalign: true)),
        new("probe-lse-tree", "block path: load, tree max, exp, tree sum, log", w => Run<LseTree>(w)),
        new("probe-lse-2tile", "own loop: two tiles per call, tree reductions", w => RunTwo(w)),
        new("probe-ce-gather", "block path: CE via AVX2 gathers of the target logit", w => RunTargets<GatherTarget>(w)),
        new("probe-ce-scalar", "block path: CE via scalar loads of the target logit", w => RunTargets<ScalarTarget>(w)),
        new("probe-ce-select", "block path: CE via compare/select per class (as today, unweighted)", w => RunTargets<SelectTarget>(w)),
        new("probe-load-b", "broadcast/blend 16x4 transposes, load only", w => RunNew<LoadOnly>(w, false)),
        new("probe-load-i", "insert 16x4 transposes, load only", w => RunNew<LoadOnly>(w, true)),
        new("probe-lse-b", "broadcast/blend 16x4 transposes, lse", w => RunNew<Lse>(w, false)),
        new("probe-lse-i", "insert 16x4 transposes, lse", w => RunNew<Lse>(w, true)),
        new("probe-ce-op", "block path: CrossEntropyOp without validation", w => RunCe(w)),
    ];

    private static Action Run<TOp>(Workload w, bool misalign = false) where TOp : struct, IProbe
    {
        float[] logits = w.Logits;
        int rows = w.Rows, c = w.Classes;
        return () =>
        {
            fixed (float* x = logits)
            {
                var op = new ProbeOp<TOp> { Logits = x, ClassCount = c, Misalign = misalign };
                w.RowOutput[0] = (float)RowDriver.Run<float, ProbeOp<TOp>>(in op, rows, c, null, 1);
            }
        };
    }

    private static Action RunCe(Workload w)
    {
        float[] logits = w.Logits;
        int[] targets = w.Targets;
        int rows = w.Rows, c = w.Classes;
        return () =>
        {
            fixed (float* x = logits)
            fixed (int* t = targets)
            {
                var op = new CrossEntropyOp<float> { Logits = x, Targets = t, ClassCount = c, IgnoreIndex = -100, WeightSum = c, GradientScale = 1f / rows };
                w.RowOutput[0] = (float)RowDriver.Run<float, CrossEntropyOp<float>>(in op, rows, c, null, 1);
            }
        };
    }

    private static Action RunTwo(Workload w)
    {
        float[] logits = w.Logits;
        int rows = w.Rows, c = w.Classes;
        return () =>
        {
            fixed (float* x = logits)
            {
                w.RowOutput[0] = TwoTiles(x, rows, c);
            }
        };
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    [System.Runtime.CompilerServices.SkipLocalsInit]
    private static float TwoTiles(float* x, int rows, int c)
    {
        Span<System.Runtime.Intrinsics.Vector512<float>> scratch = stackalloc System.Runtime.Intrinsics.Vector512<float>[64];
        var total = System.Runtime.Intrinsics.Vector512<float>.Zero;
        for (int row = 0; row + 32 <= rows; row += 32)
        {
            total += Two<V512<float>, System.Runtime.Intrinsics.Vector512<float>>(x, row, c, scratch);
        }
        return System.Runtime.Intrinsics.Vector512.Sum(total);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static TV Two<TOps, TV>(float* p, int row, int c, Span<TV> scratch) where TOps : ISimd<TV, float> where TV : struct
    {
        Span<TV> x = scratch[..32];
        Span<TV> y = scratch[32..];
        Tile<float, V512<float>, Block512<float>, System.Runtime.Intrinsics.Vector512<float>>.Load(p, row, c, System.Runtime.InteropServices.MemoryMarshal.Cast<TV, System.Runtime.Intrinsics.Vector512<float>>(x));
        Tile<float, V512<float>, Block512<float>, System.Runtime.Intrinsics.Vector512<float>>.Load(p, row + 16, c, System.Runtime.InteropServices.MemoryMarshal.Cast<TV, System.Runtime.Intrinsics.Vector512<float>>(y));
        TV mx = TreeMax<TOps, TV>(x, c);
        TV my = TreeMax<TOps, TV>(y, c);
        TV sx = default, sy = default;
        for (int k = 0; k < c; k++)
        {
            sx = TOps.Add(sx, VectorMath<TOps, TV, float>.ExpNonPositive(TOps.Subtract(x[k], mx)));
            sy = TOps.Add(sy, VectorMath<TOps, TV, float>.ExpNonPositive(TOps.Subtract(y[k], my)));
        }
        return TOps.Add(TOps.Add(mx, VectorMath<TOps, TV, float>.Log(sx)), TOps.Add(my, VectorMath<TOps, TV, float>.Log(sy)));
    }

    private static TV TreeMax<TOps, TV>(Span<TV> x, int c) where TOps : ISimd<TV, float> where TV : struct
    {
        TV a = TOps.Create(float.MinValue), b = a, d = a, e = a;
        int k = 0;
        for (; k + 4 <= c; k += 4)
        {
            a = TOps.MaxFast(a, x[k]);
            b = TOps.MaxFast(b, x[k + 1]);
            d = TOps.MaxFast(d, x[k + 2]);
            e = TOps.MaxFast(e, x[k + 3]);
        }
        for (; k < c; k++)
        {
            a = TOps.MaxFast(a, x[k]);
        }
        return TOps.MaxFast(TOps.MaxFast(a, b), TOps.MaxFast(d, e));
    }

    internal struct LseTree : IProbe
    {
        public static TV Body<TOps, TV>(Span<TV> x, int c) where TOps : ISimd<TV, float> where TV : struct
        {
            TV max = TreeMax<TOps, TV>(x, c);
            TV s0 = default, s1 = default;
            int k = 0;
            for (; k + 2 <= c; k += 2)
            {
                s0 = TOps.Add(s0, VectorMath<TOps, TV, float>.ExpNonPositive(TOps.Subtract(x[k], max)));
                s1 = TOps.Add(s1, VectorMath<TOps, TV, float>.ExpNonPositive(TOps.Subtract(x[k + 1], max)));
            }
            if (k < c)
            {
                s0 = TOps.Add(s0, VectorMath<TOps, TV, float>.ExpNonPositive(TOps.Subtract(x[k], max)));
            }
            return TOps.Add(max, VectorMath<TOps, TV, float>.Log(TOps.Add(s0, s1)));
        }
    }

    private static Action RunTargets<TP>(Workload w) where TP : struct, ITargetProbe
    {
        float[] logits = w.Logits;
        int[] targets = w.Targets;
        int rows = w.Rows, c = w.Classes;
        return () =>
        {
            fixed (float* x = logits)
            fixed (int* t = targets)
            {
                var op = new TargetOp<TP> { Logits = x, Targets = t, ClassCount = c };
                w.RowOutput[0] = (float)RowDriver.Run<float, TargetOp<TP>>(in op, rows, c, null, 1);
            }
        };
    }

    private static Action RunNew<TOp>(Workload w, bool insert) where TOp : struct, IProbe
    {
        float[] logits = w.Logits;
        int rows = w.Rows, c = w.Classes;
        return () =>
        {
            fixed (float* x = logits)
            {
                var op = new NewLoadOp<TOp> { Logits = x, ClassCount = c, Insert = insert };
                w.RowOutput[0] = (float)RowDriver.Run<float, NewLoadOp<TOp>>(in op, rows, c, null, 1);
            }
        };
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Rows4(float* p, int stride, bool insert)
    {
        if (insert)
        {
            return Vector512.Create(Vector256.Create(Vector128.Load(p), Vector128.Load(p + (4 * stride))), Vector256.Create(Vector128.Load(p + (8 * stride)), Vector128.Load(p + (12 * stride))));
        }
        var a = System.Runtime.Intrinsics.X86.Avx512F.BroadcastVector128ToVector512(p);
        var b = System.Runtime.Intrinsics.X86.Avx512F.BroadcastVector128ToVector512(p + (4 * stride));
        var c = System.Runtime.Intrinsics.X86.Avx512F.BroadcastVector128ToVector512(p + (8 * stride));
        var d = System.Runtime.Intrinsics.X86.Avx512F.BroadcastVector128ToVector512(p + (12 * stride));
        var m1 = Vector512.Create(0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0).AsSingle();
        var m2 = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0).AsSingle();
        var m3 = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1).AsSingle();
        return Vector512.ConditionalSelect(m3, d, Vector512.ConditionalSelect(m2, c, Vector512.ConditionalSelect(m1, b, a)));
    }

    /// <summary>Columns 0..3 of 16 rows (stride apart) at p.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void T16x4(float* p, int stride, bool insert, int columns, ref Vector512<float> o)
    {
        var a0 = Rows4(p, stride, insert);
        var a1 = Rows4(p + stride, stride, insert);
        var a2 = Rows4(p + (2 * stride), stride, insert);
        var a3 = Rows4(p + (3 * stride), stride, insert);
        var t0 = System.Runtime.Intrinsics.X86.Avx512F.UnpackLow(a0, a1).AsDouble();
        var t2 = System.Runtime.Intrinsics.X86.Avx512F.UnpackLow(a2, a3).AsDouble();
        o = System.Runtime.Intrinsics.X86.Avx512F.UnpackLow(t0, t2).AsSingle();
        System.Runtime.CompilerServices.Unsafe.Add(ref o, 1) = System.Runtime.Intrinsics.X86.Avx512F.UnpackHigh(t0, t2).AsSingle();
        if (columns > 2)
        {
            var t1 = System.Runtime.Intrinsics.X86.Avx512F.UnpackHigh(a0, a1).AsDouble();
            var t3 = System.Runtime.Intrinsics.X86.Avx512F.UnpackHigh(a2, a3).AsDouble();
            System.Runtime.CompilerServices.Unsafe.Add(ref o, 2) = System.Runtime.Intrinsics.X86.Avx512F.UnpackLow(t1, t3).AsSingle();
            System.Runtime.CompilerServices.Unsafe.Add(ref o, 3) = System.Runtime.Intrinsics.X86.Avx512F.UnpackHigh(t1, t3).AsSingle();
        }
    }

    internal struct NewLoadOp<TProbe> : IRowOp<float> where TProbe : struct, IProbe
    {
        public float* Logits;
        public int ClassCount;
        public bool Insert;

        public readonly float Row<TOps, TV>(int row) where TOps : ISimd<TV, float> where TV : struct => 0;

        public static bool HasBlock => true;

        public readonly TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
            where TOps : ISimd<TV, float>
            where TBlock : IBlockOps<TV, float>
            where TV : struct
        {
            int c = ClassCount;
            Span<TV> x = Tile<float, TOps, TBlock, TV>.Of(scratch, 0);
            if (typeof(TV) != typeof(Vector512<float>))
            {
                return default;
            }
            float* p = Logits + ((nint)row * c);
            ref Vector512<float> o = ref System.Runtime.CompilerServices.Unsafe.As<TV, Vector512<float>>(ref x[0]);
            for (int g = 0; g < c; g += 4)
            {
                T16x4(p + g, c, Insert, c - g, ref System.Runtime.CompilerServices.Unsafe.Add(ref o, g));
            }
            return TProbe.Body<TOps, TV>(x, c);
        }
    }

    internal interface ITargetProbe
    {
        static abstract System.Runtime.Intrinsics.Vector512<float> Target(float* x, int* t, int c, Span<System.Runtime.Intrinsics.Vector512<float>> tile, out System.Runtime.Intrinsics.Vector512<float> ignored);
    }

    internal struct GatherTarget : ITargetProbe
    {
        public static System.Runtime.Intrinsics.Vector512<float> Target(float* x, int* t, int c, Span<System.Runtime.Intrinsics.Vector512<float>> tile, out System.Runtime.Intrinsics.Vector512<float> ignored)
        {
            var tv = System.Runtime.Intrinsics.Vector512.Load(t);
            var ign = System.Runtime.Intrinsics.Vector512.Equals(tv, System.Runtime.Intrinsics.Vector512.Create(-100));
            ignored = ign.AsSingle();
            var idx = System.Runtime.Intrinsics.Vector512.AndNot(tv, ign) + (System.Runtime.Intrinsics.Vector512<int>.Indices * c);
            var lo = System.Runtime.Intrinsics.X86.Avx2.GatherVector256(x, idx.GetLower(), 4);
            var hi = System.Runtime.Intrinsics.X86.Avx2.GatherVector256(x, idx.GetUpper(), 4);
            return System.Runtime.Intrinsics.Vector512.Create(lo, hi);
        }
    }

    internal struct ScalarTarget : ITargetProbe
    {
        [System.Runtime.CompilerServices.SkipLocalsInit]
        public static System.Runtime.Intrinsics.Vector512<float> Target(float* x, int* t, int c, Span<System.Runtime.Intrinsics.Vector512<float>> tile, out System.Runtime.Intrinsics.Vector512<float> ignored)
        {
            var tv = System.Runtime.Intrinsics.Vector512.Load(t);
            var ign = System.Runtime.Intrinsics.Vector512.Equals(tv, System.Runtime.Intrinsics.Vector512.Create(-100));
            ignored = ign.AsSingle();
            float* buf = stackalloc float[16];
            for (int j = 0; j < 16; j++)
            {
                int k = t[j];
                buf[j] = x[(j * c) + (k < 0 ? 0 : k)];
            }
            return System.Runtime.Intrinsics.Vector512.Load(buf);
        }
    }

    internal struct SelectTarget : ITargetProbe
    {
        public static System.Runtime.Intrinsics.Vector512<float> Target(float* x, int* t, int c, Span<System.Runtime.Intrinsics.Vector512<float>> tile, out System.Runtime.Intrinsics.Vector512<float> ignored)
        {
            var tv = System.Runtime.Intrinsics.Vector512.ConvertToSingle(System.Runtime.Intrinsics.Vector512.Load(t));
            ignored = System.Runtime.Intrinsics.Vector512.Equals(tv, System.Runtime.Intrinsics.Vector512.Create(-100f));
            var at = System.Runtime.Intrinsics.Vector512<float>.Zero;
            var k = System.Runtime.Intrinsics.Vector512<float>.Zero;
            for (int i = 0; i < c; i++)
            {
                at = System.Runtime.Intrinsics.Vector512.ConditionalSelect(System.Runtime.Intrinsics.Vector512.Equals(tv, k), tile[i], at);
                k += System.Runtime.Intrinsics.Vector512<float>.One;
            }
            return at;
        }
    }

    internal struct TargetOp<TP> : IRowOp<float> where TP : struct, ITargetProbe
    {
        public float* Logits;
        public int* Targets;
        public int ClassCount;

        public readonly float Row<TOps, TV>(int row) where TOps : ISimd<TV, float> where TV : struct => 0;

        public static bool HasBlock => true;

        public readonly TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
            where TOps : ISimd<TV, float>
            where TBlock : IBlockOps<TV, float>
            where TV : struct
        {
            int c = ClassCount;
            Span<TV> x = Tile<float, TOps, TBlock, TV>.Of(scratch, 0);
            Tile<float, TOps, TBlock, TV>.Load(Logits, row, c, x);
            TV max = Max<TOps, TV>(x, c);
            TV sum = default;
            for (int k = 0; k < c; k++)
            {
                sum = TOps.Add(sum, VectorMath<TOps, TV, float>.ExpNonPositive(TOps.Subtract(x[k], max)));
            }
            if (typeof(TV) != typeof(System.Runtime.Intrinsics.Vector512<float>))
            {
                return sum;
            }
            TV at = (TV)(object)TP.Target(Logits + ((nint)row * c), Targets + row, c, System.Runtime.InteropServices.MemoryMarshal.Cast<TV, System.Runtime.Intrinsics.Vector512<float>>(x), out var ign);
            TV loss = TOps.Add(TOps.Subtract(max, at), VectorMath<TOps, TV, float>.Log(sum));
            return TOps.Select((TV)(object)ign, default, loss);
        }
    }

    internal interface IProbe
    {
        static abstract TV Body<TOps, TV>(Span<TV> x, int c) where TOps : ISimd<TV, float> where TV : struct;
    }

    internal struct LoadOnly : IProbe
    {
        public static TV Body<TOps, TV>(Span<TV> x, int c) where TOps : ISimd<TV, float> where TV : struct
        {
            TV s = default;
            for (int k = 0; k < c; k++)
            {
                s = TOps.Add(s, x[k]);
            }
            return s;
        }
    }

    internal struct MaxExp : IProbe
    {
        public static TV Body<TOps, TV>(Span<TV> x, int c) where TOps : ISimd<TV, float> where TV : struct
        {
            TV max = Max<TOps, TV>(x, c);
            TV sum = default;
            for (int k = 0; k < c; k++)
            {
                sum = TOps.Add(sum, VectorMath<TOps, TV, float>.ExpNonPositive(TOps.Subtract(x[k], max)));
            }
            return sum;
        }
    }

    internal struct Lse : IProbe
    {
        public static TV Body<TOps, TV>(Span<TV> x, int c) where TOps : ISimd<TV, float> where TV : struct
        {
            TV max = Max<TOps, TV>(x, c);
            TV sum = default;
            for (int k = 0; k < c; k++)
            {
                sum = TOps.Add(sum, VectorMath<TOps, TV, float>.ExpNonPositive(TOps.Subtract(x[k], max)));
            }
            return TOps.Add(max, VectorMath<TOps, TV, float>.Log(sum));
        }
    }

    private static TV Max<TOps, TV>(Span<TV> x, int c) where TOps : ISimd<TV, float> where TV : struct
    {
        TV max = TOps.Create(float.MinValue);
        for (int k = 0; k < c; k++)
        {
            max = TOps.MaxFast(max, x[k]);
        }
        return max;
    }

    internal struct ProbeOp<TProbe> : IRowOp<float> where TProbe : struct, IProbe
    {
        public bool Misalign;
        public float* Logits;
        public int ClassCount;

        public readonly float Row<TOps, TV>(int row) where TOps : ISimd<TV, float> where TV : struct => 0;

        public static bool HasBlock => true;

        public readonly TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
            where TOps : ISimd<TV, float>
            where TBlock : IBlockOps<TV, float>
            where TV : struct
        {
            Span<TV> x = Tile<float, TOps, TBlock, TV>.Of(scratch, 0);
            if (Misalign)
            {
                x = new Span<TV>((byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref x[0]) + 32, 130);
            }
            Tile<float, TOps, TBlock, TV>.Load(Logits, row, ClassCount, x);
            return TProbe.Body<TOps, TV>(x, ClassCount);
        }
    }
}
