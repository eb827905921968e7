using Flame.Native.Interop;

namespace Flame.Native.Zstd;

/// <summary>
/// A read-only stream that decompresses zstd data (one or more concatenated frames) from an
/// inner stream through libzstd's streaming API, holding only one input and one internal window
/// buffer, so memory stays bounded for files of any size.
/// </summary>
/// <remarks>
/// Corrupt data, or input that ends inside a frame (a truncated file), throws
/// <see cref="InvalidDataException"/> naming <see cref="SourceName"/>; it never ends quietly short.
/// </remarks>
public sealed unsafe class ZstdDecompressionStream : Stream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly ZstdDStreamHandle _stream;
    private readonly byte[] _input;
    private int _inputStart;
    private int _inputEnd;
    private bool _innerDone;
    private bool _inFrame;
    private long _compressedRead;

    /// <summary>Decompresses <paramref name="inner"/>.</summary>
    /// <param name="inner">The compressed bytes.</param>
    /// <param name="sourceName">A name for error messages (the file path).</param>
    /// <param name="leaveOpen">Leave <paramref name="inner"/> open when this stream is disposed.</param>
    /// <exception cref="DllNotFoundException">libzstd.so.1 is not installed.</exception>
    public ZstdDecompressionStream(Stream inner, string? sourceName = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var api = ZstdApi.Instance;
        _inner = inner;
        _leaveOpen = leaveOpen;
        SourceName = sourceName ?? "zstd stream";
        _stream = new ZstdDStreamHandle(api.CreateDStream());
        if (_stream.IsInvalid)
        {
            throw new OutOfMemoryException("libzstd could not create a decompression stream.");
        }

        Check(api.InitDStream(_stream.DangerousGetHandle()));
        _input = new byte[(int)api.DStreamInSize()];
    }

    /// <summary>The name used in error messages.</summary>
    public string SourceName { get; }

    /// <summary>Compressed bytes consumed so far (for progress and error messages).</summary>
    public long CompressedBytesRead => _compressedRead;

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
        ObjectDisposedException.ThrowIf(_stream.IsClosed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        var api = ZstdApi.Instance;
        while (true)
        {
            if (_inputStart == _inputEnd && !_innerDone)
            {
                Refill();
            }

            fixed (byte* source = _input, destination = buffer)
            {
                var input = new ZstdInBuffer { Source = source + _inputStart, Size = (nuint)(_inputEnd - _inputStart) };
                var output = new ZstdOutBuffer { Destination = destination, Size = (nuint)buffer.Length };
                var hint = api.DecompressStream(_stream.DangerousGetHandle(), &output, &input);
                Check(hint);
                _inputStart += (int)input.Position;
                if (input.Position > 0 || output.Position > 0)
                {
                    // 0 means a frame was fully decoded and flushed; anything else, we are inside one.
                    // (A call without progress only hints at the next frame's header size.)
                    _inFrame = hint != 0;
                }
                if (output.Position > 0)
                {
                    return (int)output.Position;
                }
            }

            if (_innerDone && _inputStart == _inputEnd)
            {
                if (_inFrame || _compressedRead == 0)
                {
                    throw new InvalidDataException(_compressedRead == 0
                        ? $"{SourceName} is empty, so it holds no zstd frame."
                        : $"{SourceName} ends inside a zstd frame after {_compressedRead} compressed bytes: the file is truncated.");
                }

                return 0;
            }
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a zstd stream cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("a zstd stream is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("a zstd stream is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stream.Dispose();
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private void Refill()
    {
        _inputStart = 0;
        _inputEnd = _inner.Read(_input, 0, _input.Length);
        _compressedRead += _inputEnd;
        _innerDone = _inputEnd == 0;
    }

    private void Check(nuint code)
    {
        if (ZstdApi.Instance.ErrorName(code) is { } error)
        {
            throw new InvalidDataException($"{SourceName} is not valid zstd data (libzstd: {error}) near compressed byte {_compressedRead}.");
        }
    }
}
