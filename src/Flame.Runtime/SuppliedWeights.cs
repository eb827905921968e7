using System.Runtime.InteropServices;
using Flame.Onnx.SafeTensors;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Runtime;

/// <summary>
/// Weights for a session to be given (the weights constructor of <see cref="ModelSession"/>),
/// read from a safetensors file: one float32 array each.
/// </summary>
public static class SuppliedWeights
{
    /// <summary>Each of <paramref name="parameters"/> read by name (F32, its shape); a missing or misshapen tensor names the file and the tensor.</summary>
    public static Dictionary<string, OrtValue> Read(SafeTensorsFile file, IEnumerable<(string Name, long[] Shape)> parameters)
    {
        var weights = new Dictionary<string, OrtValue>();
        try
        {
            foreach (var (name, shape) in parameters)
            {
                // ORT takes only buffers its caller owns as session initializers: a managed array, pinned by the value.
                var values = MemoryMarshal.Cast<byte, float>(file.ReadExpected(name, "F32", shape)).ToArray();
                weights[name] = OrtValue.FromArray(values, shape);
            }

            return weights;
        }
        catch
        {
            foreach (var value in weights.Values)
            {
                value.Dispose();
            }

            throw;
        }
    }
}
