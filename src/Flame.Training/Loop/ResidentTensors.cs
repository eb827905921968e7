using Flame.Runtime;

namespace Flame.Training.Loop;

/// <summary>
/// One float tensor per parameter, allocated by ORT, so the loop never copies parameters
/// through managed memory between steps. Updated in place by default: the graphs bound to
/// them read each input before they write the output of the same name (every output depends on
/// its input), so one copy suffices; <c>inPlace: false</c> keeps two copies that swap, which
/// the tests use to check that in-place updates change nothing.
/// </summary>
public sealed class ResidentTensors : IDisposable
{
    private readonly OrtValue[][] _copies;
    private int _current;

    public ResidentTensors(IReadOnlyList<long[]> shapes, bool inPlace = true)
    {
        OrtValue[] first = [.. shapes.Select(Zeros)];
        _copies = [first, inPlace ? first : [.. shapes.Select(Zeros)]];
        _inPlace = inPlace;
    }

    private readonly bool _inPlace;

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
        foreach (var value in _inPlace ? _copies[0] : _copies.SelectMany(c => c))
        {
            value.Dispose();
        }
    }
}
