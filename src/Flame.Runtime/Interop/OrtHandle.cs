using System.Runtime.InteropServices;

namespace Flame.Runtime.Interop;

/// <summary>
/// A SafeHandle over one ORT object, released through the matching OrtApi Release* slot
/// exactly once, even if the owner forgets to dispose it. One class serves every native
/// type: the types differ only in their release slot.
/// </summary>
internal sealed class OrtHandle : SafeHandle
{
    private readonly int _releaseSlot;

    public OrtHandle(nint handle, int releaseSlot) : base(0, ownsHandle: true)
    {
        _releaseSlot = releaseSlot;
        SetHandle(handle);
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>The raw pointer for a native call; throws if the owner was disposed.</summary>
    public nint Pointer => IsClosed ? throw new ObjectDisposedException(ObjectName(_releaseSlot)) : handle;

    protected override bool ReleaseHandle()
    {
        OrtApi.Release(_releaseSlot, handle);
        return true;
    }

    private static string ObjectName(int slot) => slot switch
    {
        OrtApi.ReleaseSlot.Session => "InferenceSession",
        OrtApi.ReleaseSlot.Value => "OrtValue",
        OrtApi.ReleaseSlot.IoBinding => "IoBinding",
        OrtApi.ReleaseSlot.RunOptions => "RunOptions",
        _ => "ONNX Runtime object",
    };
}
