using System.Text.Json;

namespace Flame.Runtime;

/// <summary>Time spent in one kind of operator, over a profile.</summary>
public sealed record OperatorTime(string Operator, string Provider, int Calls, double Milliseconds, double Share);

/// <summary>
/// Reads the Chrome-trace JSON ORT writes when profiling (<see cref="SessionSettings.ProfilingPrefix"/>):
/// each kernel run is an event of category "Node" named "…_kernel_time" with its operator and
/// execution provider in "args". Summed by operator, largest first: where the time goes.
/// </summary>
public static class OrtProfile
{
    public static IReadOnlyList<OperatorTime> ByOperator(params string[] files)
    {
        var totals = new Dictionary<(string Op, string Provider), (int Calls, double Microseconds)>();
        foreach (var file in files)
        {
            using var document = ReadDocument(file);
            foreach (var e in document.RootElement.EnumerateArray())
            {
                if (e.TryGetProperty("cat", out var category) && category.GetString() == "Node"
                    && e.TryGetProperty("name", out var name) && name.GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal)
                    && e.TryGetProperty("args", out var args) && args.TryGetProperty("op_name", out var op))
                {
                    var provider = args.TryGetProperty("provider", out var p) ? p.GetString() ?? "" : "";
                    var key = (op.GetString() ?? "?", provider);
                    var (calls, micro) = totals.GetValueOrDefault(key);
                    totals[key] = (calls + 1, micro + (e.TryGetProperty("dur", out var dur) ? dur.GetDouble() : 0));
                }
            }
        }

        var all = totals.Values.Sum(t => t.Microseconds);
        return [.. totals.OrderByDescending(t => t.Value.Microseconds)
            .Select(t => new OperatorTime(t.Key.Op, t.Key.Provider, t.Value.Calls, t.Value.Microseconds / 1000, all > 0 ? t.Value.Microseconds / all : 0))];
    }

    private static JsonDocument ReadDocument(string file)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(file));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: not an ORT profile (JSON array of trace events): {e.Message}", e);
        }
    }
}
