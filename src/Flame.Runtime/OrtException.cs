namespace Flame.Runtime;

/// <summary>ONNX Runtime's error codes (OrtErrorCode in onnxruntime_c_api.h).</summary>
public enum OrtErrorCode
{
    Ok = 0,
    Fail = 1,
    InvalidArgument = 2,
    NoSuchFile = 3,
    NoModel = 4,
    EngineError = 5,
    RuntimeException = 6,
    InvalidProtobuf = 7,
    ModelLoaded = 8,
    NotImplemented = 9,
    InvalidGraph = 10,
    ExecutionProviderFail = 11,
    ModelLoadCanceled = 12,
    ModelRequiresCompilation = 13,
    NotFound = 14,
}

/// <summary>An error reported by ONNX Runtime, carrying its code and message unchanged.</summary>
public sealed class OrtException(OrtErrorCode code, string message) : Exception($"ONNX Runtime: {message}")
{
    public OrtErrorCode Code { get; } = code;

    /// <summary>ORT's own message, without our prefix.</summary>
    public string OrtMessage { get; } = message;
}
