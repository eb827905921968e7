namespace Flame.Runtime;

/// <summary>The outputs of a run, by name, in the order they were asked for. Disposing it releases them all.</summary>
public sealed class RunResults : IDisposable
{
    private readonly Dictionary<string, OrtValue> _byName;

    /// <summary>Results made of <paramref name="values"/>, which they now own.</summary>
    public RunResults(IReadOnlyList<string> names, IReadOnlyList<OrtValue> values)
    {
        Names = names;
        Values = values;
        _byName = names.Zip(values).ToDictionary(p => p.First, p => p.Second);
    }

    public IReadOnlyList<string> Names { get; }

    public IReadOnlyList<OrtValue> Values { get; }

    public OrtValue this[string name] => _byName.TryGetValue(name, out var value)
        ? value
        : throw new KeyNotFoundException($"the run has no output '{name}'; it has {string.Join(", ", Names)}");

    public void Dispose()
    {
        foreach (var value in Values)
        {
            value.Dispose();
        }
    }
}
