using Flame.Runtime.Interop;

namespace Flame.Runtime;

/// <summary>Options of one run: a tag for ORT's logs, and a way to stop a run in flight from another thread.</summary>
public sealed unsafe class RunOptions : IDisposable
{
    public RunOptions(string? tag = null)
    {
        Handle = new OrtHandle(OrtApi.CreateRunOptions(), OrtApi.ReleaseSlot.RunOptions);
        if (tag is not null)
        {
            fixed (byte* t = OrtApi.Utf8(tag))
            {
                OrtApi.SetRunTag(Handle.Pointer, t);
            }
        }
    }

    internal OrtHandle Handle { get; }

    /// <summary>Asks every run using these options to stop; they fail with an OrtException.</summary>
    public void Terminate() => OrtApi.SetTerminate(Handle.Pointer, true);

    /// <summary>Lets runs with these options proceed again.</summary>
    public void Resume() => OrtApi.SetTerminate(Handle.Pointer, false);

    public void Dispose() => Handle.Dispose();
}
