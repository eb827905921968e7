namespace Flame.Data.Readers;

/// <summary>
/// Splits a byte stream into lines ('\n', with a trailing '\r' dropped) without decoding, so
/// each line can be checked for UTF-8 on its own and a bad byte is blamed on the right line.
/// Holds one buffer that grows to the longest line, at most <c>maxLineBytes</c>.
/// </summary>
internal sealed class ByteLineReader
{
    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;

    public ByteLineReader(Stream stream, int maxLineBytes)
    {
        _stream = stream;
        _maxLineBytes = maxLineBytes;
    }

    /// <summary>The 1-based number of the line last returned (or being read when the stream failed).</summary>
    public long LineNumber { get; private set; }

    /// <summary>
    /// The next line, valid until the next call; false at the end. A line longer than the limit
    /// comes back with <paramref name="tooLong"/> set and its bytes dropped.
    /// </summary>
    /// <exception cref="IOException">and <see cref="InvalidDataException"/>: the underlying stream failed (e.g. truncated zstd).</exception>
    public bool TryReadLine(out ReadOnlyMemory<byte> line, out bool tooLong)
    {
        tooLong = false;
        LineNumber++;
        var scanned = 0;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
            if (newline >= 0)
            {
                tooLong |= newline - _start > _maxLineBytes;
                line = tooLong ? ReadOnlyMemory<byte>.Empty : TrimCarriageReturn(_buffer.AsMemory(_start, newline - _start));
                _start = newline + 1;
                return true;
            }

            if (_eof)
            {
                var rest = _end - _start;
                tooLong |= rest > _maxLineBytes;
                _start = _end;
                if (rest == 0 && !tooLong)
                {
                    LineNumber--;
                    line = default;
                    return false;
                }

                line = tooLong ? ReadOnlyMemory<byte>.Empty : TrimCarriageReturn(_buffer.AsMemory(_end - rest, rest));
                return true;
            }

            if (_end - _start >= _maxLineBytes)
            {
                // Drop what we have of the overlong line and keep looking for its end.
                tooLong = true;
                _start = _end;
            }

            scanned = _end - _start;
            Fill();
        }
    }

    private static ReadOnlyMemory<byte> TrimCarriageReturn(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, (int)Math.Min((long)_buffer.Length * 2, Math.Max(_maxLineBytes + 1L, _buffer.Length + 1L)));
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        _end += read;
        _eof = read == 0;
    }
}
