using System.Globalization;
using Flame.Runtime;

namespace Flame.Cli.Commands;

/// <summary>Prints where an ORT profile's time went, by operator (the benchmarks' --profile).</summary>
internal static class ProfileReport
{
    public static void Write(TextWriter output, IReadOnlyList<OperatorTime> operators, int top = 15)
    {
        output.WriteLine($"kernel time by operator (top {Math.Min(top, operators.Count)} of {operators.Count}, {operators.Sum(o => o.Milliseconds):F0} ms in all):");
        foreach (var o in operators.Take(top))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {o.Share,6:P1}  {o.Milliseconds,10:F1} ms  {o.Calls,7} calls  {o.Operator} ({o.Provider})"));
        }
    }
}
