using System.Collections;
using System.Text.RegularExpressions;
using Razorvine.Pickle;

namespace Flame.Import.Torch;

/// <summary>
/// Razorvine's unpickler taught what PyTorch's pickles contain: tensors
/// (torch._utils._rebuild_tensor_v2 over a persistent storage id), torch.Size, OrderedDict,
/// and torch.distributed.checkpoint's metadata classes. Every other global that a pickle
/// calls with arguments becomes an inert <see cref="PythonGlobal"/> (Razorvine refuses such a
/// call of a class it does not know), so a checkpoint's pickle is read as data: no code of it
/// runs. Globals called without arguments stay Razorvine's ClassDict (see <see cref="PythonFields"/>).
/// </summary>
public sealed class TorchUnpickler : Unpickler
{
    // Razorvine keeps its constructors in one process-wide table; registering and loading go under this lock.
    private static readonly Lock Registry = new();
    private static readonly Regex UnknownGlobal = new(@"construction of ClassDict \(for (?<name>[^)]+)\)", RegexOptions.CultureInvariant);

    private readonly Func<object[], object>? _persistentLoad;

    static TorchUnpickler()
    {
        registerConstructor("torch._utils", "_rebuild_tensor_v2", new Call(RebuildTensor));
        registerConstructor("torch._utils", "_rebuild_tensor", new Call(RebuildTensor));
        registerConstructor("torch._utils", "_rebuild_parameter", new Call(args => args[0]));
        registerConstructor("torch", "Size", new Call(args => ((object[])args[0]).Select(Convert.ToInt64).ToArray()));
        registerConstructor("collections", "OrderedDict", new Call(args => args.Length == 0 ? new Hashtable() : ToDictionary(args[0])));
        foreach (var name in (string[])["Metadata", "TensorStorageMetadata", "BytesStorageMetadata", "ChunkStorageMetadata", "TensorProperties", "MetadataIndex", "StorageMeta", "_MEM_FORMAT_ENCODING"])
        {
            Inert("torch.distributed.checkpoint.metadata", name);
        }

        Inert("torch.distributed.checkpoint.filesystem", "_StorageInfo");
    }

    private TorchUnpickler(Func<object[], object>? persistentLoad) => _persistentLoad = persistentLoad;

    /// <summary>Unpickles <paramref name="bytes"/>; <paramref name="source"/> names them in errors.</summary>
    /// <param name="persistentLoad">Resolves a persistent id (torch.save: ('storage', type, key, location, numel)); null where the pickle should have none.</param>
    public static object Load(byte[] bytes, string source, Func<object[], object>? persistentLoad = null)
    {
        lock (Registry)
        {
            for (var attempt = 0; ; attempt++)
            {
                using var unpickler = new TorchUnpickler(persistentLoad);
                try
                {
                    return unpickler.loads(bytes);
                }
                catch (PickleException e) when (attempt < 1000 && UnknownGlobal.Match(e.Message) is { Success: true } unknown)
                {
                    // A class we have never seen, called with arguments (an enum, a namedtuple): make it inert and read again.
                    var name = unknown.Groups["name"].Value;
                    var dot = name.LastIndexOf('.');
                    Inert(dot < 0 ? "" : name[..dot], name[(dot + 1)..]);
                }
                catch (Exception e) when (e is PickleException or InvalidCastException or IndexOutOfRangeException or ArgumentException or EndOfStreamException or InvalidOperationException)
                {
                    throw new InvalidDataException($"{source}: not a readable pickle ({e.Message})", e);
                }
            }
        }
    }

    protected override object persistentLoad(object pid) =>
        _persistentLoad is not null && pid is object[] tuple ? _persistentLoad(tuple) : throw new PickleException($"unexpected persistent id {pid}");

    private static void Inert(string module, string name) => registerConstructor(module, name, new PythonGlobal(module, name));

    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    private static object RebuildTensor(object[] args) =>
        args[0] is TorchStorage storage
            ? new TorchTensor(storage.DType, storage.Key, storage.Elements, Convert.ToInt64(args[1]), Longs(args[2]), Longs(args[3]))
            : throw new PickleException($"a tensor over {args[0]?.GetType().Name ?? "None"} instead of a storage");

    private static long[] Longs(object value) => value switch
    {
        long[] longs => longs,
        object[] tuple => tuple.Select(Convert.ToInt64).ToArray(),
        _ => throw new PickleException($"expected a tuple of ints, found {value.GetType().Name}"),
    };

    private static Hashtable ToDictionary(object pairs)
    {
        var dict = new Hashtable();
        foreach (var pair in (IEnumerable)pairs)
        {
            var items = pair as object[] ?? ((IList)pair).Cast<object>().ToArray();
            dict[items[0]] = items[1];
        }

        return dict;
    }

    private sealed class Call(Func<object[], object> create) : IObjectConstructor
    {
        public object construct(object[] args) => create(args);
    }
}
