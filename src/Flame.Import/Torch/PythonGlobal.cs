using Razorvine.Pickle;

namespace Flame.Import.Torch;

/// <summary>
/// A Python class or function a pickle names (GLOBAL / STACK_GLOBAL) that we give no meaning of
/// our own: torch.bfloat16, argparse.Namespace, a dataclass of torch.distributed.checkpoint.
/// Calling it (REDUCE, NEWOBJ) records the call as a <see cref="PythonObject"/>, so a reader
/// can pick out the fields it needs and ignore the rest, and nothing is executed.
/// </summary>
public sealed class PythonGlobal(string module, string name) : IObjectConstructor
{
    public string Module { get; } = module;

    public string Name { get; } = name;

    public string FullName => $"{Module}.{Name}";

    public object construct(object[] args) => new PythonObject(this, args);

    public override string ToString() => FullName;
}
