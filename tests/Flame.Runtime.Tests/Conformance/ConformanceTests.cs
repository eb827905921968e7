using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Runtime.Tests.Conformance;

/// <summary>
/// The ONNX backend node tests (Debian's libonnx-testdata, which .ci/run installs) through our
/// protobuf layer and our ORT bindings. Every case passes or is listed in skips.txt with its
/// reason; docs/conformance.md has the numbers.
/// </summary>
[TestClass]
public sealed class ConformanceTests
{
    public TestContext TestContext { get; set; } = null!;

    private static readonly Lazy<IReadOnlyDictionary<string, string>> Skips = new(() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Conformance", "skips.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split("  ", 2, StringSplitOptions.TrimEntries))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : throw new InvalidDataException($"skips.txt: '{p[0]}' has no reason")));

    [TestMethod]
    public void EveryNodeTestPassesOrHasAListedReason()
    {
        var cases = ConformanceCase.All();
        if (cases.Count == 0)
        {
            Assert.Fail($"the ONNX backend test data is missing: install Debian's libonnx-testdata ({ConformanceCase.SuiteRoot})");
        }

        var failures = new ConcurrentBag<string>();
        var unexpectedPasses = new ConcurrentBag<string>();
        var passed = 0;
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, testCase =>
        {
            string? problem;
            try
            {
                problem = testCase.Run();
            }
            catch (Exception e) when (e is OnnxRuntimeException or NotSupportedException or InvalidDataException or ArgumentException)
            {
                problem = $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";
            }

            var skipped = Skips.Value.ContainsKey(testCase.Name);
            if (problem is null)
            {
                Interlocked.Increment(ref passed);
                if (skipped)
                {
                    unexpectedPasses.Add(testCase.Name);
                }
            }
            else if (!skipped)
            {
                failures.Add($"{testCase.Name}: {problem}");
            }
        });

        TestContext.WriteLine($"ONNX backend node tests: {cases.Count} cases, {passed} passed, {Skips.Value.Count} skipped with a reason, {failures.Count} failed");
        Assert.IsEmpty(failures, "failing cases not in skips.txt:\n" + string.Join("\n", failures.Order()));
        Assert.IsEmpty(unexpectedPasses, "cases in skips.txt that pass now (remove them):\n" + string.Join("\n", unexpectedPasses.Order()));
    }

    [TestMethod]
    public void EverySkipNamesAnExistingCase()
    {
        var names = ConformanceCase.All().Select(c => c.Name).ToHashSet();
        var stale = Skips.Value.Keys.Where(k => !names.Contains(k)).ToList();
        Assert.IsEmpty(stale, "skips.txt names cases that do not exist: " + string.Join(", ", stale));
    }
}
