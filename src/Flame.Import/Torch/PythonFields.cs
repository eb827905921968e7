using System.Collections;
using Razorvine.Pickle.Objects;

namespace Flame.Import.Torch;

/// <summary>Attribute access on unpickled Python objects, whichever form Razorvine gave them: a <see cref="PythonObject"/>, a ClassDict, or a plain dict.</summary>
public static class PythonFields
{
    public static object? Field(this object? value, string name) => value switch
    {
        PythonObject o => o.Field(name),
        IDictionary dict => dict.Contains(name) ? dict[name] : null,
        _ => null,
    };

    /// <summary>
    /// The module and name of a global the pickle referred to without calling it (torch.bfloat16,
    /// torch.BFloat16Storage): Razorvine leaves its constructor on the stack, ours or its own.
    /// </summary>
    public static (string Module, string Name)? GlobalName(this object? value) => value switch
    {
        PythonGlobal g => (g.Module, g.Name),
        ClassDictConstructor c => (c.module, c.name),
        _ => null,
    };

    /// <summary>The class name Python would print (module.Class), or the .NET type's name for built-in values.</summary>
    public static string ClassName(this object? value) => value switch
    {
        null => "None",
        PythonObject o => o.Type.FullName,
        ClassDict c => c.ClassName,
        PythonGlobal g => g.FullName,
        ClassDictConstructor c => $"{c.module}.{c.name}",
        _ => value.GetType().Name,
    };
}
