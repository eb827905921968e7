using System.Text.RegularExpressions;
using Flame.Import.Torch;

namespace Flame.Import.Megatron;

/// <summary>
/// A Megatron-Core checkpoint's model tensors by name, whichever way its TransformerBlock saved
/// the layers (megatron/core/transformer/transformer_block.py, sharded_state_dict):
/// <c>decoder.layers.N.REST</c> per layer (non-homogeneous layers, e.g. a dense first layer via
/// --moe-layer-freq as a list), or <c>decoder.layers.REST</c> with the layer as a prepended first
/// axis (homogeneous layers). Remembers what was read, so keys that have no place in our model
/// can be reported rather than silently dropped.
/// </summary>
public sealed partial class MegatronTensors(DistributedCheckpoint checkpoint)
{
    private const string LayerPrefix = "decoder.layers.";
    private readonly HashSet<string> _used = [];

    public DistributedCheckpoint Checkpoint { get; } = checkpoint;

    /// <summary>Whether layers are stacked along a first axis under decoder.layers.REST.</summary>
    public bool StackedLayers { get; } = checkpoint.Tensors.Keys.Any(k => k.StartsWith(LayerPrefix, StringComparison.Ordinal) && !PerLayer().IsMatch(k) && IsModelKey(k));

    /// <summary>The number of transformer layers the checkpoint holds.</summary>
    public int Layers
    {
        get
        {
            if (StackedLayers)
            {
                return checked((int)Checkpoint.Get(LayerPrefix + "self_attention.linear_qkv.weight").Size[0]);
            }

            var numbers = Checkpoint.Tensors.Keys.Select(k => PerLayer().Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            return numbers.Count == 0 ? 0 : numbers.Max() + 1;
        }
    }

    public bool Has(string key) => Checkpoint.Tensors.ContainsKey(key);

    public long[] Shape(string key) => Checkpoint.Get(key).Size;

    public float[] Read(string key)
    {
        _used.Add(key);
        return Checkpoint.ReadFloats(key);
    }

    /// <summary>Whether layer <paramref name="layer"/> has the tensor REST.</summary>
    public bool HasLayer(int layer, string rest) => StackedLayers
        ? Checkpoint.Tensors.TryGetValue(LayerPrefix + rest, out var stacked) && stacked.Chunks.Any(c => c.Offsets[0] == layer)
        : Has($"{LayerPrefix}{layer}.{rest}");

    /// <summary>The shape of layer <paramref name="layer"/>'s tensor REST (without the layer axis).</summary>
    public long[] LayerShape(int layer, string rest) => StackedLayers ? Shape(LayerPrefix + rest)[1..] : Shape($"{LayerPrefix}{layer}.{rest}");

    public float[] ReadLayer(int layer, string rest)
    {
        if (!StackedLayers)
        {
            return Read($"{LayerPrefix}{layer}.{rest}");
        }

        _used.Add(LayerPrefix + rest);
        return Checkpoint.ReadFloats(LayerPrefix + rest, layer);
    }

    /// <summary>Model tensors nothing has read: they belong to an architecture we do not build.</summary>
    public IReadOnlyList<string> Unread() => Checkpoint.Tensors.Keys.Where(k => IsModelKey(k) && !_used.Contains(k)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Whether a key is a model tensor (not optimizer state: optimizer.*, chained_N.optimizer.*).</summary>
    public static bool IsModelKey(string key) => !OptimizerKey().IsMatch(key);

    [GeneratedRegex(@"^decoder\.layers\.(\d+)\.")]
    private static partial Regex PerLayer();

    [GeneratedRegex(@"^(chained_\d+\.)?optimizer\.")]
    private static partial Regex OptimizerKey();
}
