using Flame.ModelGraphs.Builder;

namespace Flame.Reference;

/// <summary>The same seeded weights the graph builder puts in its initializers, in double, by name.</summary>
public static class ReferenceWeights
{
    public static IReadOnlyDictionary<string, double[]> For(IEnumerable<ParameterSpec> parameters, ulong seed) =>
        parameters.ToDictionary(p => p.Name, p => WeightInitializer.Create(p, seed).Select(v => (double)v).ToArray());
}
