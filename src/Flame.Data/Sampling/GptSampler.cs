using Flame.Data.Indexed;

namespace Flame.Data.Sampling;

/// <summary>
/// GPT-style training samples (Megatron's GPTDataset): each epoch concatenates the documents
/// in a seeded random order (their EOD tokens separate them) and cuts the stream into
/// windows of seq_len + 1 tokens that overlap by one (input = window[:-1], target =
/// window[1:]), across document boundaries, with no attention-mask reset; the windows of an
/// epoch are then visited in a seeded random order. Deterministic for a seed and cursor.
/// </summary>
public sealed class GptSampler
{
    private readonly IndexedDataset _dataset;
    private readonly int[] _documents;
    private readonly ulong _seed;
    private int _epoch = -1;
    private int[] _order = [];
    private long[] _starts = [];
    private int[] _windows = [];

    public GptSampler(IndexedDataset dataset, IReadOnlyList<int> documents, int sequenceLength, ulong seed = 1234, SamplerCursor? cursor = null)
    {
        _dataset = dataset;
        _documents = [.. documents];
        SequenceLength = sequenceLength > 0 ? sequenceLength : throw new ArgumentOutOfRangeException(nameof(sequenceLength));
        _seed = seed;
        var tokens = _documents.Sum(d => (long)dataset.SequenceLengths[d]);
        WindowsPerEpoch = (int)Math.Max(0, (tokens - 1) / sequenceLength);
        if (WindowsPerEpoch == 0)
        {
            throw new ArgumentException($"{tokens} tokens do not make one window of {sequenceLength} + 1 tokens");
        }

        Cursor = cursor ?? new SamplerCursor(0, 0);
    }

    public int SequenceLength { get; }

    public int WindowsPerEpoch { get; }

    public SamplerCursor Cursor { get; private set; }

    /// <summary>The next window of sequence_length + 1 tokens.</summary>
    public int[] Next()
    {
        var cursor = Advance();
        Prepare(cursor.Epoch);
        return Window(_windows[cursor.Position]);
    }

    /// <summary>Passes over the next <paramref name="windows"/> windows without reading them (in data-parallel training, other ranks read them).</summary>
    public void Skip(int windows)
    {
        for (var i = 0; i < windows; i++)
        {
            _ = Advance();
        }
    }

    // The cursor of the next window (rolling over into the next epoch), and the cursor moved past it.
    private SamplerCursor Advance()
    {
        if (Cursor.Position >= WindowsPerEpoch)
        {
            Cursor = new SamplerCursor(Cursor.Epoch + 1, 0);
        }

        var current = Cursor;
        Cursor = Cursor with { Position = Cursor.Position + 1 };
        return current;
    }

    /// <summary>A batch as int64 [batch, sequence_length + 1], row-major.</summary>
    public long[] NextBatch(int batch)
    {
        var result = new long[batch * (SequenceLength + 1)];
        for (var b = 0; b < batch; b++)
        {
            var window = Next();
            for (var i = 0; i < window.Length; i++)
            {
                result[b * (SequenceLength + 1) + i] = window[i];
            }
        }

        return result;
    }

    private void Prepare(int epoch)
    {
        if (epoch == _epoch)
        {
            return;
        }

        // One generator per epoch, derived from the seed: any epoch can be rebuilt on its own (resume).
        var random = new SplitMix64(_seed ^ ((ulong)epoch * 0x9E3779B97F4A7C15UL + 1));
        _order = random.Permutation(_documents.Length).Select(i => _documents[i]).ToArray();
        _starts = new long[_order.Length + 1];
        for (var i = 0; i < _order.Length; i++)
        {
            _starts[i + 1] = _starts[i] + _dataset.SequenceLengths[_order[i]];
        }

        _windows = random.Permutation(WindowsPerEpoch);
        _epoch = epoch;
    }

    private int[] Window(int index)
    {
        var result = new int[SequenceLength + 1];
        var offset = (long)index * SequenceLength;
        var document = Array.BinarySearch(_starts, offset);
        document = document >= 0 ? document : ~document - 1;
        var filled = 0;
        while (filled < result.Length)
        {
            var length = _dataset.SequenceLengths[_order[document]];
            var from = (int)(offset + filled - _starts[document]);
            var take = Math.Min(length - from, result.Length - filled);
            _dataset.Read(_order[document], from, result.AsSpan(filled, take));
            filled += take;
            document++;
        }

        return result;
    }
}
