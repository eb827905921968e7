using Microsoft.ML.OnnxRuntime;

namespace Flame.Runtime;

/// <summary>The outputs of a run, by name, in the order they were asked for. Disposing it releases them all.</summary>
public sealed class RunResults : IDisposable
{
    private readonly Dictionary<string, OrtValue> _byName;

    /// <summary>Results made of <paramref name="values"/>, which they now own.</summary>
    public RunResults(IReadOnlyList<string> names, IReadOnlyCollection<OrtValue> values)
    {
        Names = names;
        Values = values as IReadOnlyList<OrtValue> ?? [.. values];
        _byName = names.Zip(values).ToDictionary(p => p.First, p => p.Second);
    }

    /// <summary>The outputs of a binding's last run (new handles the results own; the tensors are shared with the binding).</summary>
    public static RunResults Of(OrtIoBinding binding) => new(binding.GetOutputNames(), binding.GetOutputValues());

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
