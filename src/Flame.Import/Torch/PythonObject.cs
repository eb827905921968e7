using System.Collections;

namespace Flame.Import.Torch;

/// <summary>
/// An instance of a <see cref="PythonGlobal"/> as the pickle built it: the arguments it was
/// called with and the state BUILD gave it (a dict, or for classes with __slots__ a
/// (dict, slots) pair, or whatever a custom __getstate__ returned).
/// </summary>
public sealed class PythonObject(PythonGlobal type, object[] args)
{
    public PythonGlobal Type { get; } = type;

    public object[] Args { get; } = args;

    public object? State { get; private set; }

    /// <summary>Called by the unpickler for BUILD.</summary>
    public void __setstate__(object state) => State = state;

    /// <summary>The attribute <paramref name="name"/> from the state's dict(s), or null when absent.</summary>
    public object? Field(string name) => State switch
    {
        IDictionary dict => dict.Contains(name) ? dict[name] : null,
        object[] { Length: 2 } pair => (pair[0] as IDictionary)?[name] ?? (pair[1] as IDictionary)?[name],
        _ => null,
    };

    public bool HasField(string name) => State switch
    {
        IDictionary dict => dict.Contains(name),
        object[] { Length: 2 } pair => (pair[0] as IDictionary)?.Contains(name) == true || (pair[1] as IDictionary)?.Contains(name) == true,
        _ => false,
    };

    public bool Is(string module, string name) => Type.Module == module && Type.Name == name;

    public override string ToString() => $"{Type.FullName}(...)";
}
