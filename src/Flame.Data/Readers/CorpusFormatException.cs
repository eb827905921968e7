namespace Flame.Data.Readers;

/// <summary>Malformed corpus input; the message starts with the file and line or row.</summary>
public sealed class CorpusFormatException : Exception
{
    public CorpusFormatException(BadInputReason reason, DocumentOrigin origin, string detail, Exception? inner = null)
        : base($"{origin}: {detail}", inner)
    {
        Reason = reason;
        Origin = origin;
        Detail = detail;
    }

    /// <summary>What was wrong.</summary>
    public BadInputReason Reason { get; }

    /// <summary>Where.</summary>
    public DocumentOrigin Origin { get; }

    /// <summary>The message without the location.</summary>
    public string Detail { get; }
}
