using Flame.Runtime;

namespace Flame.Training.Loop;

/// <summary>
/// One float tensor per parameter, twice: the graph reads one copy and writes the other, then
/// they swap (ORT must not write a tensor it is still reading). Allocated by ORT, so the loop
/// never copies parameters through managed memory between steps.
/// </summary>
public sealed class ResidentTensors : IDisposable
{
    private readonly OrtValue[][] _copies;
    private int _current;

    public ResidentTensors(IReadOnlyList<long[]> shapes)
    {
        _copies = [[.. shapes.Select(Zeros)], [.. shapes.Select(Zeros)]];
    }

    // ORT hands out uninitialised memory; moments and accumulators must start at zero.
    private static OrtValue Zeros(long[] shape)
    {
        var value = OrtValue.Allocate<float>(shape);
        value.AsSpan<float>().Clear();
        return value;
    }

    public OrtValue Current(int i) => _copies[_current][i];

    public OrtValue Next(int i) => _copies[1 - _current][i];

    public void Swap() => _current = 1 - _current;

    public int Count => _copies[0].Length;

    public void Load(int i, ReadOnlySpan<float> values) => values.CopyTo(Current(i).AsSpan<float>());

    public void Dispose()
    {
        foreach (var value in _copies.SelectMany(c => c))
        {
            value.Dispose();
        }
    }
}
