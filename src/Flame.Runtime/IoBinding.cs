using System.Runtime.InteropServices;
using Flame.Runtime.Interop;

namespace Flame.Runtime;

/// <summary>
/// Inputs and outputs bound to a session once and reused across runs, so that tensors stay
/// where they are (weights resident on the GPU; only the batch moves). Created by
/// <see cref="InferenceSession.CreateIoBinding"/>; the bound values must outlive the binding's use.
/// </summary>
public sealed unsafe class IoBinding : IDisposable
{
    private readonly InferenceSession _session;
    private readonly List<OrtValue> _keepAlive = [];

    internal IoBinding(InferenceSession session)
    {
        _session = session;
        Handle = new OrtHandle(OrtApi.CreateIoBinding(session.Handle.Pointer), OrtApi.ReleaseSlot.IoBinding);
    }

    internal OrtHandle Handle { get; }

    public void BindInput(string name, OrtValue value)
    {
        fixed (byte* n = OrtApi.Utf8(name))
        {
            OrtApi.BindInput(Handle.Pointer, n, value.Handle.Pointer);
        }

        _keepAlive.Add(value);
    }

    /// <summary>Binds an output to a preallocated tensor that ORT writes in place.</summary>
    public void BindOutput(string name, OrtValue value)
    {
        fixed (byte* n = OrtApi.Utf8(name))
        {
            OrtApi.BindOutput(Handle.Pointer, n, value.Handle.Pointer);
        }

        _keepAlive.Add(value);
    }

    /// <summary>Lets ORT allocate the output on a device (CPU or CUDA memory); read it with <see cref="GetOutputs"/>.</summary>
    public void BindOutput(string name, OrtMemoryInfo device)
    {
        fixed (byte* n = OrtApi.Utf8(name))
        {
            OrtApi.BindOutputToDevice(Handle.Pointer, n, device.Handle.Pointer);
        }
    }

    public void Run(RunOptions? options = null) => OrtApi.RunWithBinding(_session.Handle.Pointer, options?.Handle.Pointer ?? 0, Handle.Pointer);

    /// <summary>Waits until bound inputs have been copied to their devices.</summary>
    public void SynchronizeInputs() => OrtApi.SynchronizeBoundInputs(Handle.Pointer);

    /// <summary>Waits until the outputs of the last run are ready on their devices.</summary>
    public void SynchronizeOutputs() => OrtApi.SynchronizeBoundOutputs(Handle.Pointer);

    /// <summary>The outputs of the last run, by name; new handles the caller disposes (the tensors themselves are shared with the binding).</summary>
    public RunResults GetOutputs()
    {
        var allocator = OrtApi.DefaultAllocator();
        byte* buffer;
        nuint* lengths;
        nuint count;
        OrtApi.BoundOutputNames(Handle.Pointer, allocator, &buffer, &lengths, &count);
        var names = new List<string>();
        try
        {
            var offset = 0;
            for (nuint i = 0; i < count; i++)
            {
                names.Add(Marshal.PtrToStringUTF8((nint)(buffer + offset), (int)lengths[i]));
                offset += (int)lengths[i];
            }
        }
        finally
        {
            if (count > 0)
            {
                OrtApi.AllocatorFree(allocator, (nint)buffer);
                OrtApi.AllocatorFree(allocator, (nint)lengths);
            }
        }

        nint* values;
        nuint valueCount;
        OrtApi.BoundOutputValues(Handle.Pointer, allocator, &values, &valueCount);
        var outputs = new List<OrtValue>();
        for (nuint i = 0; i < valueCount; i++)
        {
            outputs.Add(new OrtValue(values[i]));
        }

        if (valueCount > 0)
        {
            OrtApi.AllocatorFree(allocator, (nint)values);
        }

        return new RunResults(names, outputs);
    }

    public void ClearInputs()
    {
        OrtApi.ClearBoundInputs(Handle.Pointer);
        _keepAlive.Clear();
    }

    public void ClearOutputs() => OrtApi.ClearBoundOutputs(Handle.Pointer);

    public void Dispose() => Handle.Dispose();
}
