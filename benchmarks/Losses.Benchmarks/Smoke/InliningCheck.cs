using System.Text.RegularExpressions;

namespace Losses.Benchmarks.Smoke;

/// <summary>
/// The inlining half of the smoke check. Every kernel measured by <see cref="PerfSmoke"/> runs with the JIT printing the
/// optimized code of the library's kernel layer (<c>DOTNET_JitDisasm="Losses.Kernels.*:*"</c> into a file); this class
/// names each call that optimized (tier-1 or full-opt) kernel code makes to a SIMD primitive — a <c>VectorMath</c>
/// function at a vector width, a method of the vector <c>ISimd</c> widths (<c>V128</c>/<c>V256</c>/<c>V512</c>) or a
/// <c>Vector128/256/512</c> static (a scalar call once per row, such as <c>Pow2</c> of a row's scale, costs nothing). Each is a primitive the JIT did not inline into a hot loop. Such a loop still gives
/// the right numbers, so only this check sees it: on 2026-12-02 a <c>bool single = typeof(T) == …</c> local made the JIT
/// import the double polynomial into float loops, the long-row normalizer ran out of inlining budget (20 calls in its
/// loop) and ran 3–5× slower. Out-of-line helpers that are meant to be calls (<c>ExpOutOfLine</c>, <c>SeededSum</c>, …)
/// are methods of <c>Rows</c>, not primitives, and are not reported.
/// </summary>
internal static partial class InliningCheck
{
    /// <summary>The <c>DOTNET_JitDisasm</c> pattern: every method of the kernel layer.</summary>
    public const string Methods = "Losses.Kernels.*:*";

    [GeneratedRegex(@"^; Assembly listing for method (.*) \((.*)\)$")]
    private static partial Regex Header();

    [GeneratedRegex(@"\bcall\s+\[(.*?VectorMath`\d\[Losses\.Kernels\.V(?:128|256|512)`.*|Losses\.Kernels\.V(?:128|256|512)`1\[(?:float|double)\]:.*|System\.Runtime\.Intrinsics\.Vector(?:128|256|512)(?:`1\[[a-z]+\])?:.*)\]")]
    private static partial Regex PrimitiveCall();

    /// <summary>The environment that makes a measurement write its kernels' listings to <paramref name="listingPath"/>.</summary>
    public static (string Name, string Value)[] ListingEnvironment(string listingPath) =>
        [("DOTNET_JitDisasm", Methods), ("DOTNET_JitStdOutFile", listingPath)];

    /// <summary>"caller -> callee" for every call from optimized kernel code to a primitive in the listing (distinct, sorted).</summary>
    public static IReadOnlyList<string> PrimitiveCalls(string listingPath)
    {
        // The JIT compiles on several threads (tier 0 in the foreground, tier 1 in the background) and their listings
        // can interleave line by line in the file. A call line is attributed only while exactly one listing is open
        // (between its header and its "; Total bytes of code" footer) and no other header has come since; after an
        // interleaving everything is skipped until the next header that opens on a clean file.
        var calls = new SortedSet<string>(StringComparer.Ordinal);
        string? method = null;
        bool optimized = false;
        int open = 0;
        foreach (string line in File.ReadLines(listingPath))
        {
            var header = Header().Match(line.Trim());
            if (header.Success)
            {
                open = Math.Max(open, 0) + 1;
                method = header.Groups[1].Value;
                string tier = header.Groups[2].Value;
                optimized = open == 1 && !tier.Contains("Tier0", StringComparison.Ordinal) && !tier.StartsWith("Instrumented", StringComparison.Ordinal);
                continue;
            }
            if (line.StartsWith("; Total bytes of code", StringComparison.Ordinal))
            {
                open--;
                optimized = false;
                continue;
            }
            if (optimized && open == 1 && method is not null && PrimitiveCall().Match(line) is { Success: true } call)
            {
                calls.Add($"{Shorten(method)} -> {Shorten(call.Groups[1].Value)}");
            }
        }
        return [.. calls];
    }

    /// <summary>Drops the generic arguments' namespaces, so that a line names the method and width readably.</summary>
    private static string Shorten(string name) =>
        name.Replace("System.Runtime.Intrinsics.", "", StringComparison.Ordinal).Replace("Losses.Kernels.", "", StringComparison.Ordinal);
}
