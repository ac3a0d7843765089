using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Numerics.Tensors;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Losses.Tests.Docs;

/// <summary>
/// Every <c>&lt;example&gt;</c> in the library's XML documentation compiles and runs: the code blocks of each member's
/// example become the body of one method (all of them in one compilation, against the built library), and each method
/// is invoked. A snippet that needs a value it does not declare, names a parameter that no longer exists or throws fails
/// here, naming the member whose docs hold it.
/// </summary>
public class XmlDocExampleTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Numerics;
        using System.Numerics.Tensors;
        using System.IO;
        using System.Runtime.InteropServices;
        using Losses;
        """;

    // Types whose examples are being rewritten in the same wave (open work on their files); their snippets are
    // fragments that assume variables from the surrounding text. Empty this set, never grow it.
    private static readonly string[] Pending =
        ["Losses.ModelComparison", "Losses.PerplexityAccumulator",
         "Losses.PerplexityResult"];

    private sealed record Example(string Member, string Code);

    private static List<Example> Examples()
    {
        string xml = Path.ChangeExtension(typeof(Softmax).Assembly.Location, ".xml");
        return XDocument.Load(xml).Descendants("member")
            .SelectMany(member => member.Elements("example").Select(example => new Example(
                (string)member.Attribute("name")!,
                string.Join("\n", example.Descendants("code").Select(code => code.Value)))))
            .Where(e => e.Code.Trim().Length > 0 && !Pending.Any(type => e.Member[2..].StartsWith(type, StringComparison.Ordinal)))
            .ToList();
    }

    [Fact]
    public void The_library_documents_examples()
    {
        Assert.True(Examples().Count >= 80, $"only {Examples().Count} examples found: is the XML doc file next to Losses.dll?");
    }

    [Fact]
    public void Every_example_compiles_and_runs()
    {
        List<Example> examples = Examples();
        var source = new StringBuilder(Usings).AppendLine().AppendLine("public static class Examples {");
        var lineOfMethod = new List<int>();
        for (int i = 0; i < examples.Count; i++)
        {
            lineOfMethod.Add(source.ToString().Count(c => c == '\n'));
            source.AppendLine($"public static void E{i}() {{").AppendLine(examples[i].Code).AppendLine("}");
        }
        source.AppendLine("}");

        string[] platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        IEnumerable<MetadataReference> references = platform
            .Append(typeof(Softmax).Assembly.Location)
            .Append(typeof(TensorPrimitives).Assembly.Location)
            .Distinct()
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create("XmlDocExamples",
            [CSharpSyntaxTree.ParseText(source.ToString(), new CSharpParseOptions(LanguageVersion.Latest))],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true,
                specificDiagnosticOptions: new Dictionary<string, ReportDiagnostic> { ["CS0219"] = ReportDiagnostic.Suppress, ["CS0168"] = ReportDiagnostic.Suppress }));

        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var failures = new List<string>();
        foreach (var error in emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
        {
            int line = error.Location.GetLineSpan().StartLinePosition.Line;
            int method = lineOfMethod.FindLastIndex(start => start <= line);
            failures.Add($"{(method >= 0 ? examples[method].Member : "?")}: {error.GetMessage()} (in `{LineOf(source, line)}`)");
        }
        Assert.True(failures.Count == 0, "examples that do not compile:\n" + string.Join("\n", failures.Distinct()));

        image.Position = 0;
        var context = new AssemblyLoadContext("XmlDocExamples", isCollectible: true);
        try
        {
            Type type = context.LoadFromStream(image).GetType("Examples")!;
            for (int i = 0; i < examples.Count; i++)
            {
                try
                {
                    type.GetMethod($"E{i}")!.Invoke(null, null);
                }
                catch (TargetInvocationException e)
                {
                    failures.Add($"{examples[i].Member}: throws {e.InnerException!.GetType().Name}: {e.InnerException.Message}");
                }
            }
        }
        finally
        {
            context.Unload();
        }
        Assert.True(failures.Count == 0, "examples that throw:\n" + string.Join("\n", failures));
    }

    private static string LineOf(StringBuilder source, int line) => source.ToString().Split('\n')[line].Trim();
}
