using Flame.Onnx.SafeTensors;
using Flame.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Training.Loop;

/// <summary>
/// One float tensor per parameter, allocated by ORT in the run's <see cref="DeviceMemory"/> (the
/// CPU's, or a CUDA device's), so the loop never copies parameters through managed memory between
/// steps: only checkpoints copy them out and in. Updated in place by default: the graphs bound to
/// them read each input before they write the output of the same name (every output depends on
/// its input), so one copy suffices; <c>inPlace: false</c> keeps two copies that swap, which
/// the tests use to check that in-place updates change nothing.
/// </summary>
public sealed class ResidentTensors : IDisposable
{
    private readonly DeviceMemory _memory;
    private readonly OrtValue[][] _copies;
    private readonly bool _inPlace;
    private int _current;

    public ResidentTensors(IReadOnlyList<long[]> shapes, DeviceMemory memory, bool inPlace = true)
    {
        _memory = memory;
        _inPlace = inPlace;
        // ORT hands out uninitialised memory; moments and accumulators must start at zero.
        OrtValue[] first = [.. shapes.Select(memory.Zeros)];
        _copies = [first, inPlace ? first : [.. shapes.Select(memory.Zeros)]];
    }

    public OrtValue Current(int i) => _copies[_current][i];

    public OrtValue Next(int i) => _copies[1 - _current][i];

    public void Swap() => _current = 1 - _current;

    public int Count => _copies[0].Length;

    public void Load(int i, ReadOnlySpan<float> values) => _memory.Upload(values, Current(i));

    /// <summary>Tensor <paramref name="i"/> as a checkpoint tensor: copied once from CPU memory, downloaded first from a device.</summary>
    public SafeTensor ToSafeTensor(int i, string name)
    {
        var tensor = Current(i);
        if (!_memory.Device.IsCuda)
        {
            return SafeTensor.From<float>(name, tensor.AsSpan<float>(), tensor.Shape);
        }

        return SafeTensor.From<float>(name, Read(i), tensor.Shape);
    }

    /// <summary>A host copy of tensor <paramref name="i"/>.</summary>
    public float[] Read(int i)
    {
        var tensor = Current(i);
        var values = new float[tensor.ElementCount()];
        _memory.Download<float>(tensor, values);
        return values;
    }

    public void Dispose()
    {
        foreach (var value in _inPlace ? _copies[0] : _copies.SelectMany(c => c))
        {
            value.Dispose();
        }
    }
}
