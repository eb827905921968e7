namespace Flame.Data.Readers;

/// <summary>Why a document could not be read.</summary>
public enum BadInputReason
{
    /// <summary>A JSONL line is not one valid JSON object.</summary>
    InvalidJson,

    /// <summary>The bytes are not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>The text field or column is absent.</summary>
    MissingField,

    /// <summary>The text field is present but null or not a string.</summary>
    NotAString,

    /// <summary>A JSONL line is longer than <see cref="ReaderOptions.MaxLineBytes"/>.</summary>
    LineTooLong,

    /// <summary>A .zst file is truncated or corrupt; the rest of that file is lost.</summary>
    BadCompression,

    /// <summary>A Parquet file is truncated or corrupt; the rest of that file is lost.</summary>
    BadParquet,
}
