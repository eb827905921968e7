using System.Buffers;
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
/// <para>
/// A view of one optimizer state (<see cref="OptimizerState"/>) reads, under the model's names and
/// shapes, what the distributed optimizer saved for each parameter in its fully_sharded_model_space
/// layout (megatron/core/optimizer/distrib_optimizer.py): <c>[chained_N.]optimizer.state.STATE.KEY</c>,
/// reshaped by dist_checkpointing/strategies/resharding.py to the fragmentation of KEY's chunk grid
/// plus one flat axis of each fragment's elements.
/// </para>
/// </summary>
public sealed partial class MegatronTensors
{
    private const string LayerPrefix = "decoder.layers.";
    private readonly HashSet<string> _used = [];
    private readonly string? _state;
    private readonly Dictionary<string, string> _stateKeys = [];

    public MegatronTensors(DistributedCheckpoint checkpoint)
        : this(checkpoint, null)
    {
    }

    private MegatronTensors(DistributedCheckpoint checkpoint, string? state)
    {
        Checkpoint = checkpoint;
        _state = state;
        StackedLayers = checkpoint.Tensors.Keys.Any(k => k.StartsWith(LayerPrefix, StringComparison.Ordinal) && !PerLayer().IsMatch(k) && IsModelKey(k));
        foreach (var key in checkpoint.Tensors.Keys)
        {
            if (state is not null && OptimizerKey().Match(key) is { Success: true } m && m.Groups["state"].Value == state)
            {
                _stateKeys[m.Groups["param"].Value] = key;
            }
        }
    }

    /// <summary>Reads a tensor, row-major float32, into a buffer of exactly its size.</summary>
    public delegate void Reader(Span<float> destination);

    public DistributedCheckpoint Checkpoint { get; }

    /// <summary>Whether layers are stacked along a first axis under decoder.layers.REST.</summary>
    public bool StackedLayers { get; }

    /// <summary>The same tensors' optimizer state <paramref name="state"/> (fp32_param, exp_avg, exp_avg_sq); null when the checkpoint has none.</summary>
    public MegatronTensors? OptimizerState(string state)
    {
        var view = new MegatronTensors(Checkpoint, state);
        return view._stateKeys.Count > 0 ? view : null;
    }

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

    /// <summary>Tensor <paramref name="key"/>, to be read when called (so a model is written one tensor at a time); counted as used now.</summary>
    public Reader Whole(string key)
    {
        _used.Add(key);
        return destination =>
        {
            if (_state is null)
            {
                Checkpoint.ReadInto(key, null, destination);
            }
            else
            {
                ReadState(key, destination);
            }
        };
    }

    /// <summary>Whether layer <paramref name="layer"/> has the tensor REST.</summary>
    public bool HasLayer(int layer, string rest) => StackedLayers
        ? Checkpoint.Tensors.TryGetValue(LayerPrefix + rest, out var stacked) && stacked.Chunks.Any(c => c.Offsets[0] == layer)
        : Has($"{LayerPrefix}{layer}.{rest}");

    /// <summary>The shape of layer <paramref name="layer"/>'s tensor REST (without the layer axis).</summary>
    public long[] LayerShape(int layer, string rest) => StackedLayers ? Shape(LayerPrefix + rest)[1..] : Shape($"{LayerPrefix}{layer}.{rest}");

    /// <summary>Layer <paramref name="layer"/>'s tensor REST, to be read when called; counted as used now.</summary>
    public Reader Layer(int layer, string rest)
    {
        if (!StackedLayers)
        {
            return Whole($"{LayerPrefix}{layer}.{rest}");
        }

        _used.Add(LayerPrefix + rest);
        return destination =>
        {
            if (_state is null)
            {
                Checkpoint.ReadInto(LayerPrefix + rest, layer, destination);
                return;
            }

            var stacked = ArrayPool<float>.Shared.Rent(destination.Length * Layers);
            try
            {
                ReadState(LayerPrefix + rest, stacked.AsSpan(0, destination.Length * Layers));
                stacked.AsSpan(layer * destination.Length, destination.Length).CopyTo(destination);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(stacked);
            }
        };
    }

    // The optimizer's state of a parameter, in the parameter's own global shape, into `destination`.
    private void ReadState(string key, Span<float> destination)
    {
        var where = $"{Checkpoint.Folder}: optimizer state {_state} of '{key}'";
        if (!_stateKeys.TryGetValue(key, out var stateKey))
        {
            throw new InvalidDataException($"{where} is missing (the optimizer was saved in another layout, e.g. dp_zero_gather_scatter, or not for every parameter)");
        }

        var shape = Shape(key);
        var saved = Checkpoint.Get(stateKey).Size;
        if (saved.SequenceEqual(shape))
        {
            Checkpoint.ReadInto(stateKey, null, destination);
            return;
        }

        var fragments = saved[..^1];
        if (fragments.Length != shape.Length || fragments.Where((f, a) => f <= 0 || shape[a] % f != 0).Any())
        {
            throw new InvalidDataException($"{where}: saved as [{string.Join(", ", saved)}], which is no fragmentation of [{string.Join(", ", shape)}]");
        }

        var local = shape.Select((n, a) => n / fragments[a]).ToArray();
        var count = local.Aggregate(1L, (n, d) => n * d);
        if (saved[^1] != count)
        {
            throw new InvalidDataException($"{where}: saved as [{string.Join(", ", saved)}]; fragments of [{string.Join(", ", local)}] hold {count} elements each");
        }

        var flat = ArrayPool<float>.Shared.Rent(destination.Length);
        try
        {
            Checkpoint.ReadInto(stateKey, null, flat.AsSpan(0, destination.Length));
            var index = new long[fragments.Length];
            for (var fragment = 0L; fragment * count < destination.Length; fragment++)
            {
                TensorBlocks.Place(flat.AsSpan(checked((int)(fragment * count)), (int)count), index.Select((i, a) => i * local[a]).ToArray(), local, shape, destination);
                for (var axis = index.Length - 1; axis >= 0 && ++index[axis] == fragments[axis]; axis--)
                {
                    index[axis] = 0;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(flat);
        }
    }

    /// <summary>Model tensors nothing has read: they belong to an architecture we do not build.</summary>
    public IReadOnlyList<string> Unread() => Checkpoint.Tensors.Keys.Where(k => IsModelKey(k) && !_used.Contains(k)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Whether a key is a model tensor (not optimizer state: optimizer.*, chained_N.optimizer.*).</summary>
    public static bool IsModelKey(string key) => !OptimizerKey().IsMatch(key);

    [GeneratedRegex(@"^decoder\.layers\.(\d+)\.")]
    private static partial Regex PerLayer();

    [GeneratedRegex(@"^(chained_\d+\.)?optimizer\.(state\.(?<state>[a-z0-9_]+)\.(?<param>.+))?")]
    private static partial Regex OptimizerKey();
}
