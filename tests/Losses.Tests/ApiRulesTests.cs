using System.Numerics.Tensors;
using System.Reflection;
using System.Xml.Linq;

namespace Losses.Tests;

/// <summary>
/// The API rules of CONTRIBUTING.md ("## API rules"), checked by reflection over every public member, so that a new
/// function that breaks one fails here with its name rather than in a user's code.
/// </summary>
public class ApiRulesTests
{
    private static readonly Assembly Library = typeof(Softmax).Assembly;

    /// <summary>Every parameter name the public API uses. A new name is a deliberate choice: PyTorch's word if it has one.</summary>
    private static readonly HashSet<string> Vocabulary =
    [
        // Data, in PyTorch's words.
        "logits", "targets", "probabilities", "logProbabilities", "input", "p", "q", "logQ", "logitsQ", "counts",
        "teacherLogits", "studentLogits", "referenceLogits", "labels", "labelsA", "labelsB", "featureValues", "feature",
        "sampleWeights", "table", "output", "outputGradient", "partials", "slicePartials", "hidden", "linearWeight", "linearBias",
        "losses", "weights", "weightedGradientNorms", "initialLogVariances", "terms", "first", "second", "value", "bits",
        // A per-token objective (ITokenObjective): the row and its figures, and the objective given to the fused form.
        "row", "logProbability", "objective",
        // Shapes.
        "classCount", "columnCount", "taskCount", "task", "hiddenSize", "offset", "width", "stride", "m", "n", "k",
        "a", "b", "c", "accumulate",
        // Outputs and scratch.
        "destination", "gradient", "inputGradient", "studentGradient", "logVarianceGradient", "weightGradient",
        "logProbabilityGradient", "entropyGradient", "entropy", "sortedFeature", "order", "classScratch",
        "hiddenGradient", "linearWeightGradient", "linearBiasGradient", "maxBufferElements",
        // Options.
        "reduction", "weight", "posWeight", "ignoreIndex", "labelSmoothing", "logTarget", "logBase", "temperature",
        "scaleByTemperatureSquared", "alpha", "gamma", "delta", "beta", "zLoss", "softCap", "learningRate", "average",
        "percentileCapacity", "maxDegreeOfParallelism",
        // State and serialization.
        "state", "other", "obj", "left", "right", "json", "accumulator",
    ];

    /// <summary>Scalar options: always double (rule 1), whatever the element type.</summary>
    private static readonly HashSet<string> OptionNames =
    [
        "labelSmoothing", "logBase", "temperature", "alpha", "gamma", "delta", "beta", "zLoss", "softCap", "learningRate",
    ];

    /// <summary>Types exempt from these rules, each with its reason. Keep it empty: every entry is a debt.</summary>
    private static readonly HashSet<string> Exempt =
    [
    ];

    private static bool Pending(Type t) => Exempt.Contains(t.Name);

    private static IEnumerable<MethodBase> PublicMembers() =>
        Library.GetExportedTypes().Where(t => !Pending(t)).SelectMany(t =>
            t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsSpecialName && !m.Name.StartsWith('<'))
                .Cast<MethodBase>()
                .Concat(t.GetConstructors()));

    private static string Name(MethodBase m) =>
        $"{m.DeclaringType!.Name}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => $"{p.ParameterType.Name} {p.Name}"))})";

    private static bool IsElementType(Type t) => t.IsGenericParameter;

    private static bool IsSpanOf(Type t, Type open) =>
        (t.IsByRef ? t.GetElementType()! : t) is { IsGenericType: true } u && u.GetGenericTypeDefinition() == open;

    [Fact]
    public void Scalar_options_are_double_never_the_element_type()
    {
        var bad = PublicMembers()
            .SelectMany(m => m.GetParameters().Where(p => IsElementType(p.ParameterType) && (p.IsOptional || OptionNames.Contains(p.Name!)))
                .Select(p => $"{Name(m)}: {p.Name}"))
            .Concat(Library.GetExportedTypes().Where(t => !Pending(t)).SelectMany(t => t.GetProperties())
                .Where(p => IsElementType(p.PropertyType) && OptionNames.Contains(char.ToLowerInvariant(p.Name[0]) + p.Name[1..]))
                .Select(p => $"{p.DeclaringType!.Name}.{p.Name}"))
            .ToList();
        Assert.True(bad.Count == 0, "Options typed T (make them double):\n" + string.Join("\n", bad));
    }

    [Fact]
    public void Parameter_names_come_from_the_vocabulary()
    {
        var unknown = PublicMembers()
            .SelectMany(m => m.GetParameters().Where(p => !Vocabulary.Contains(p.Name!) && !IsPositionalProperty(m, p)).Select(p => $"{Name(m)}: {p.Name}"))
            .ToList();
        Assert.True(unknown.Count == 0, "Parameter names outside the vocabulary (use PyTorch's word, or add it to ApiRulesTests.Vocabulary):\n" + string.Join("\n", unknown));
    }

    /// <summary>A record struct's or record's positional parameter is named after its property (PascalCase).</summary>
    private static bool IsPositionalProperty(MethodBase m, ParameterInfo p) =>
        (m is ConstructorInfo || m.Name == "Deconstruct") && char.IsUpper(p.Name![0]) && m.DeclaringType!.GetProperty(p.Name) is not null;

    [Fact]
    public void Max_degree_of_parallelism_is_last_and_optional()
    {
        var bad = PublicMembers()
            .Where(m => m.GetParameters().Any(p => p.Name == "maxDegreeOfParallelism"))
            .Where(m => m.GetParameters()[^1] is not { Name: "maxDegreeOfParallelism", IsOptional: true })
            .Select(Name).ToList();
        Assert.True(bad.Count == 0, "maxDegreeOfParallelism must be the last parameter, default 1:\n" + string.Join("\n", bad));
    }

    [Fact]
    public void Gradients_are_optional_outside_backward_passes()
    {
        var bad = PublicMembers()
            .Where(m => !m.Name.StartsWith("Backward", StringComparison.Ordinal) && m.Name != "ForwardBackward") // a fused pass's gradient is its destination
            .SelectMany(m => m.GetParameters()
                .Where(p => p.Name!.EndsWith("radient", StringComparison.Ordinal) && p.ParameterType.Name.StartsWith("Span", StringComparison.Ordinal) && !p.IsOptional)
                .Where(p => !HasOverloadWithout(m, p.Name!)) // GradNorm.Update(norms, losses[, weightGradient]): the shorter overload is the optional form
                .Select(p => $"{Name(m)}: {p.Name}"))
            .ToList();
        Assert.True(bad.Count == 0, "Gradient buffers must default to empty (not wanted):\n" + string.Join("\n", bad));
    }

    private static bool HasOverloadWithout(MethodBase m, string parameter) =>
        m.DeclaringType!.GetMember(m.Name).OfType<MethodBase>().Any(o => o != m && o.GetParameters().All(p => p.Name != parameter));

    [Fact]
    public void Batch_functions_share_one_parameter_order()
    {
        // inputs, [destination], classCount, gradient, reduction, losses, options, maxDegreeOfParallelism; a backward pass's
        // required gradient is its destination (before classCount).
        var bad = new List<string>();
        foreach (var m in PublicMembers().Where(m => m.GetParameters().Any(p => p.Name == "reduction")))
        {
            var ps = m.GetParameters();
            string[] names = [.. ps.Select(p => p.Name!)];
            int At(string name) => Array.IndexOf(names, name);
            int gradient = Math.Max(At("gradient"), At("studentGradient")), reduction = At("reduction"), losses = At("losses");
            int classCount = At("classCount");
            bool required = gradient >= 0 && !ps[gradient].IsOptional;
            bool ok = (classCount < 0 || gradient < 0 || (required ? gradient < classCount : classCount < gradient))
                && (gradient < 0 || required || gradient + 1 == reduction)
                && (losses < 0 || losses == reduction + 1)
                && ps.Skip(Math.Max(reduction, losses) + 1).All(p => p.IsOptional);
            if (!ok)
            {
                bad.Add(Name(m));
            }
        }
        Assert.True(bad.Count == 0, "Order: inputs, classCount, gradient, reduction, losses, options, maxDegreeOfParallelism:\n" + string.Join("\n", bad));
    }

    /// <summary>A slice of the vocabulary is placed right after the class count: classCount, offset, width, stride (optional);
    /// the tensor forms take the slice as a tensor, whose shape gives width and stride.</summary>
    [Fact]
    public void Slice_parameters_follow_the_class_count()
    {
        var bad = PublicMembers().Where(m => m.GetParameters().Any(p => p.Name is "offset" or "width" or "stride")).Where(m =>
        {
            var ps = m.GetParameters();
            string[] names = [.. ps.Select(p => p.Name!)];
            int classCount = Array.IndexOf(names, "classCount"), offset = Array.IndexOf(names, "offset");
            int width = Array.IndexOf(names, "width"), stride = Array.IndexOf(names, "stride");
            bool tensor = IsSpanOf(ps[0].ParameterType, typeof(ReadOnlyTensorSpan<>));
            return !(classCount >= 0 && offset == classCount + 1
                && (tensor ? width < 0 && stride < 0 : width == offset + 1 && stride == width + 1 && ps[stride].IsOptional));
        }).Select(Name).ToList();
        Assert.True(bad.Count == 0, "Slices: classCount, offset, width, stride = 0 (tensor forms: classCount, offset):\n" + string.Join("\n", bad));
    }

    /// <summary>Span batch functions: a classCount parameter and the rows first. Contingency tables and vocabulary
    /// slices are other shapes.</summary>
    private static bool IsSpanBatchFunction(MethodInfo m) =>
        m.IsStatic && m.GetParameters() is [var first, ..] ps
        && IsSpanOf(first.ParameterType, typeof(ReadOnlySpan<>)) && first.ParameterType.GetGenericArguments()[0].IsGenericParameter
        && ps.Any(p => p.Name == "classCount")
        && m.DeclaringType != typeof(InformationGain)
        && m.DeclaringType != typeof(LinearCrossEntropy) // two matrices (hidden, linearWeight): a tensor form needs its own shape rule
        && m.DeclaringType != typeof(LinearTokenLogProbabilities); // the same two matrices

    [Fact]
    public void Every_span_batch_function_has_a_tensor_overload()
    {
        var methods = Library.GetExportedTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)).ToList();
        var missing = methods.Where(IsSpanBatchFunction).Where(m => !Pending(m.DeclaringType!))
            .Where(span =>
            {
                // Tensors carry their shape: classCount goes, or for a slice of the vocabulary its width and stride
                // (classCount and offset stay: they place the slice in a vocabulary the tensor does not hold).
                string[] names = [.. span.GetParameters().Select(p => p.Name!)];
                string[] expected = [.. names.Where(n => names.Contains("offset") ? n is not ("width" or "stride") : n != "classCount")];
                return !methods.Any(t => t.DeclaringType == span.DeclaringType && t.Name == span.Name
                    && t.GetParameters() is [var first, ..] && IsSpanOf(first.ParameterType, typeof(ReadOnlyTensorSpan<>))
                    && t.GetParameters().Select(p => p.Name!).SequenceEqual(expected)
                    && TargetsType(t) == TargetsType(span));
            })
            .Select(Name).ToList();
        Assert.True(missing.Count == 0, "Span batch functions without a tensor overload (add one in src/Losses/Tensors):\n" + string.Join("\n", missing));
    }

    private static Type? TargetsType(MethodInfo m) =>
        m.GetParameters().FirstOrDefault(p => p.Name == "targets")?.ParameterType is { } t && (t.IsByRef ? t.GetElementType()! : t) is { IsGenericType: true } u
            ? (u.GetGenericArguments()[0] is { IsGenericParameter: true } ? typeof(ValueType) : u.GetGenericArguments()[0]) : null;

    /// <summary>Arrays convert to tensors as well as to spans: every tensor overload must rank below the span overloads, or a
    /// positional call such as <c>Entropy.Of&lt;float&gt;(p, d, classCount, 2)</c> binds to it with another meaning.</summary>
    [Fact]
    public void Tensor_overloads_yield_to_span_overloads()
    {
        var bad = Library.GetExportedTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.GetParameters() is [var first, ..] && (IsSpanOf(first.ParameterType, typeof(ReadOnlyTensorSpan<>)) || IsSpanOf(first.ParameterType, typeof(TensorSpan<>))))
            .Where(m => m.GetCustomAttribute<System.Runtime.CompilerServices.OverloadResolutionPriorityAttribute>() is not { Priority: < 0 })
            .Select(Name).ToList();
        Assert.True(bad.Count == 0, "Tensor overloads without [OverloadResolutionPriority(-1)]:\n" + string.Join("\n", bad));
    }

    [Fact]
    public void Every_int_target_function_has_a_long_twin()
    {
        var methods = Library.GetExportedTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)).ToList();
        var missing = methods.Where(m => TargetsType(m) == typeof(int))
            .Where(m => !methods.Any(twin => twin.DeclaringType == m.DeclaringType && twin.Name == m.Name && TargetsType(twin) == typeof(long)
                && twin.GetParameters().Select(p => p.Name).SequenceEqual(m.GetParameters().Select(p => p.Name))))
            .Select(Name).ToList();
        Assert.True(missing.Count == 0, "Functions taking int targets without a long (int64) twin:\n" + string.Join("\n", missing));
    }

    private static bool IsRecord(Type t) => t.GetMethod("<Clone>$") is not null || t.GetProperty("EqualityContract", BindingFlags.NonPublic | BindingFlags.Instance) is not null;

    /// <summary>State records: instances built from equal contents are equal, and print their numbers, not an array's type.</summary>
    [Fact]
    public void State_records_have_value_equality_and_print_their_contents()
    {
        var bad = new List<string>();
        foreach (var open in Library.GetExportedTypes().Where(t => t.Name.Contains("State", StringComparison.Ordinal) && IsRecord(t) && !t.IsAbstract && !Pending(t)))
        {
            Type type = open.IsGenericTypeDefinition ? open.MakeGenericType(typeof(float)) : open;
            var ctor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            object?[] Arguments() => [.. ctor.GetParameters().Select(p => Sample(p.ParameterType))];
            object a, b;
            try
            {
                a = ctor.Invoke(Arguments());
                b = ctor.Invoke(Arguments());
            }
            catch (TargetInvocationException)
            {
                continue; // a constructor that validates its arguments: the sample does not fit, nothing to conclude
            }
            string text = a.ToString()!;
            if (!a.Equals(b) || a.GetHashCode() != b.GetHashCode())
            {
                bad.Add($"{open.Name}: two instances of the same contents are not equal");
            }
            if (text.Contains("System.", StringComparison.Ordinal) || text.Contains("[]", StringComparison.Ordinal))
            {
                bad.Add($"{open.Name}: ToString prints '{text}'");
            }
        }
        Assert.True(bad.Count == 0, string.Join("\n", bad));
    }

    private static object? Sample(Type t) =>
        t == typeof(int) || t == typeof(long) ? Convert.ChangeType(2, t, System.Globalization.CultureInfo.InvariantCulture)
        : t == typeof(float) ? 0.5f
        : t == typeof(double) ? 0.5
        : t == typeof(float[]) ? new float[] { 0.5f, 0.25f }
        : t == typeof(double[]) ? new double[] { 0.5, 0.25 }
        : t == typeof(int[]) ? new int[] { 1, 2 }
        : t == typeof(long[]) ? new long[] { 1, 2 }
        : t.IsValueType ? Activator.CreateInstance(t) : null;

    /// <summary>Every type that keeps state between calls says in its docs whether concurrent use is safe.</summary>
    [Fact]
    public void Stateful_types_state_their_thread_safety()
    {
        string xml = Path.ChangeExtension(Library.Location, ".xml");
        Assert.True(File.Exists(xml), $"{xml} is missing (GenerateDocumentationFile).");
        var docs = XDocument.Load(xml).Descendants("member").ToDictionary(e => (string)e.Attribute("name")!, e => e.Value);
        var silent = Library.GetExportedTypes()
            .Where(t => !Pending(t) && t.IsClass && !t.IsAbstract && !(t.IsSealed && t.IsAbstract) && !IsRecord(t) && !typeof(Exception).IsAssignableFrom(t)
                && t.GetFields(BindingFlags.Instance | BindingFlags.NonPublic).Any(f => !f.IsInitOnly || f.FieldType.IsArray))
            .Where(t => !(docs.TryGetValue("T:" + t.FullName, out string? text) && text.Contains("thread", StringComparison.OrdinalIgnoreCase)))
            .Select(t => t.Name).ToList();
        Assert.True(silent.Count == 0, "Stateful types whose docs do not say whether they are thread-safe:\n" + string.Join("\n", silent));
    }
}
