using Microsoft.ML.OnnxRuntime;

namespace Flame.Runtime;

/// <summary>ORT's descriptions of the memories the platform computes in: the CPU's, and a CUDA device's.</summary>
public static class DeviceMemories
{
    /// <summary>The memory a session on <paramref name="device"/> computes in; the caller disposes it.</summary>
    public static OrtMemoryInfo For(ExecutionDevice device) => device.IsCuda ? Cuda(device.DeviceId) : Cpu();

    /// <summary>CPU memory (arena allocator, default memory type).</summary>
    public static OrtMemoryInfo Cpu() => new(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);

    /// <summary>Memory of CUDA device <paramref name="deviceId"/>; usable once a CUDA session exists.</summary>
    public static OrtMemoryInfo Cuda(int deviceId = 0) => new(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.Default);
}
