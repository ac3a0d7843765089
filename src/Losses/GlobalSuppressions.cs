using System.Diagnostics.CodeAnalysis;

// API rule 5/6 (CONTRIBUTING.md, "API rules"): a function comes in overloads that differ only in the types of their
// required inputs (span or tensor; int or long targets), each with the same optional parameters under the same names,
// so that a call with named options reads the same for every input type. RS0026 guards against adding an optional
// parameter to a shipped overload; PublicAPI.Shipped.txt keeps that check, so the pattern itself is allowed.
[assembly: SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
    Justification = "Overloads by input type (span/tensor, int/long targets) share their optional parameters by design; see CONTRIBUTING.md, API rules.",
    Scope = "namespaceanddescendants", Target = "~N:Losses")]
