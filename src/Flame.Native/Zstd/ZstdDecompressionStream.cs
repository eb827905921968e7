namespace Flame.Native.Zstd;

/// <summary>
/// A read-only stream that decompresses zstd data (one or more concatenated frames) with
/// ZstdSharp (a managed port of libzstd), holding one window at a time, so memory stays bounded
/// for files of any size.
/// </summary>
/// <remarks>
/// Corrupt data, or input that ends inside a frame (a truncated file), throws
/// <see cref="InvalidDataException"/> naming <see cref="SourceName"/>; it never ends quietly short.
/// </remarks>
public sealed class ZstdDecompressionStream : Stream
{
    private readonly CountingStream _compressed;
    private readonly ZstdSharp.DecompressionStream _inner;
    private bool _disposed;

    /// <summary>Decompresses <paramref name="inner"/>.</summary>
    /// <param name="inner">The compressed bytes.</param>
    /// <param name="sourceName">A name for error messages (the file path).</param>
    /// <param name="leaveOpen">Leave <paramref name="inner"/> open when this stream is disposed.</param>
    public ZstdDecompressionStream(Stream inner, string? sourceName = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        SourceName = sourceName ?? "zstd stream";
        _compressed = new CountingStream(inner, leaveOpen);
        _inner = new ZstdSharp.DecompressionStream(_compressed, leaveOpen: false);
    }

    /// <summary>The name used in error messages.</summary>
    public string SourceName { get; }

    /// <summary>Compressed bytes consumed so far (for progress and error messages).</summary>
    public long CompressedBytesRead => _compressed.BytesRead;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException("a zstd stream has no known length.");

    public override long Position
    {
        get => throw new NotSupportedException("a zstd stream cannot report a position.");
        set => throw new NotSupportedException("a zstd stream cannot seek.");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <exception cref="InvalidDataException">the data is not zstd, is corrupt, or ends inside a frame.</exception>
    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int read;
        try
        {
            read = _inner.Read(buffer);
        }
        catch (ZstdSharp.ZstdException e)
        {
            throw new InvalidDataException(CompressedBytesRead <= 4 || e.Message.Contains("frame descriptor", StringComparison.OrdinalIgnoreCase)
                ? $"{SourceName} is not valid zstd data ({e.Message})"
                : $"{SourceName}: corrupt zstd data after {CompressedBytesRead} compressed bytes: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{SourceName}: the zstd data ends inside a frame after {CompressedBytesRead} compressed bytes (the file is truncated)", e);
        }

        if (read == 0 && buffer.Length > 0 && CompressedBytesRead == 0)
        {
            throw new InvalidDataException($"{SourceName} is empty: no zstd frame at all");
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a zstd stream cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("a zstd stream is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("a zstd stream is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Counts the compressed bytes ZstdSharp reads, for messages.</summary>
    private sealed class CountingStream(Stream inner, bool leaveOpen) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !leaveOpen)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
