namespace Flame.Runtime;

/// <summary>A device was asked for (--device cuda) that this machine or this build of ONNX Runtime cannot run: ORT's message, and what to do.</summary>
public sealed class DeviceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
