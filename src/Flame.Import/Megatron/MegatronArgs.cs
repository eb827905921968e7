using System.Collections;
using Flame.Import.Torch;

namespace Flame.Import.Megatron;

/// <summary>
/// The training arguments Megatron saves in common.pt (<c>args</c>, an argparse.Namespace),
/// read by name. Each value is null when the checkpoint does not carry it, so the importer
/// can say what it inferred from the tensors instead.
/// </summary>
public sealed class MegatronArgs(IDictionary values)
{
    public static readonly MegatronArgs None = new(new Hashtable());

    public bool IsEmpty => values.Count == 0;

    public object? this[string name] => values.Contains(name) ? values[name] : null;

    public int? Int(string name) => this[name] switch
    {
        int i => i,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        _ => null,
    };

    public long? Long(string name) => this[name] switch
    {
        int i => i,
        long l => l,
        _ => null,
    };

    public double? Double(string name) => this[name] switch
    {
        double d => d,
        int i => i,
        long l => l,
        _ => null,
    };

    public bool? Bool(string name) => this[name] as bool?;

    public string? String(string name) => this[name] as string;

    /// <summary>The args of a common.pt root dict; <see cref="None"/> when it has none.</summary>
    public static MegatronArgs From(object? commonRoot) => commonRoot.Field("args") switch
    {
        PythonObject o when o.State is IDictionary dict => new MegatronArgs(dict),
        IDictionary dict => new MegatronArgs(dict),
        _ => None,
    };
}
