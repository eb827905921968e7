using System.Runtime.InteropServices;
using ParquetSharp;
using ParquetSharp.Schema;

namespace Flame.Analysis.Traces;

/// <summary>
/// One layer's routing file in the released layout, written with ParquetSharp (Apache Arrow's
/// C++ Parquet, which has a Float16 logical type; DuckDB has none): <c>scores</c> a list of top-k
/// float16 (FIXED_LEN_BYTE_ARRAY(2), Float16) and <c>indices</c> a list of top-k int16, one row
/// per token, in the order appended. Rows are buffered into row groups of
/// <see cref="RowGroupRows"/>; the file is written beside its target and renamed on
/// <see cref="Complete"/>, so a reader never sees half a file.
/// </summary>
internal sealed unsafe class LayerFileWriter : IDisposable
{
    public const int RowGroupRows = 131_072;

    private readonly string _path;
    private readonly string _partial;
    private readonly int _topK;
    private readonly Half[] _scores;
    private readonly int[] _indices;
    private readonly short[] _definitions;
    private readonly short[] _repetitions;
    private readonly FixedLenByteArray[] _scoreValues;
    private readonly GCHandle _pinnedScores;
    private ParquetFileWriter? _file;
    private int _rows;

    public LayerFileWriter(string path, int topK)
    {
        _path = path;
        _partial = path + ".partial";
        _topK = topK;
        _scores = new Half[RowGroupRows * topK];
        _indices = new int[RowGroupRows * topK];
        _scoreValues = new FixedLenByteArray[RowGroupRows * topK];
        _pinnedScores = GCHandle.Alloc(_scores, GCHandleType.Pinned);
        var first = (byte*)_pinnedScores.AddrOfPinnedObject();
        for (var i = 0; i < _scoreValues.Length; i++)
        {
            _scoreValues[i] = new FixedLenByteArray((nint)(first + i * sizeof(Half)));
        }

        // Every row is a list of exactly k present values: definition level 1 throughout, and
        // repetition level 0 where a row starts, 1 inside it.
        _definitions = new short[RowGroupRows * topK];
        _repetitions = new short[RowGroupRows * topK];
        Array.Fill(_definitions, (short)1);
        for (var i = 0; i < _repetitions.Length; i++)
        {
            _repetitions[i] = (short)(i % topK == 0 ? 0 : 1);
        }

        using var schema = Schema();
        using var properties = new WriterPropertiesBuilder().Compression(Compression.Snappy).Build();
        _file = new ParquetFileWriter(_partial, schema, properties);
    }

    /// <summary>Appends tokens' routing: [tokens, k] indices and scores, best first.</summary>
    /// <exception cref="OverflowException">an expert index beyond int16.</exception>
    public void Append(ReadOnlySpan<int> indices, ReadOnlySpan<float> scores)
    {
        var tokens = indices.Length / _topK;
        for (var start = 0; start < tokens;)
        {
            var rows = Math.Min(RowGroupRows - _rows, tokens - start);
            var from = start * _topK;
            var to = _rows * _topK;
            for (var i = 0; i < rows * _topK; i++)
            {
                _scores[to + i] = (Half)scores[from + i];
                _indices[to + i] = checked((short)indices[from + i]);
            }

            _rows += rows;
            start += rows;
            if (_rows == RowGroupRows)
            {
                Flush();
            }
        }
    }

    /// <summary>Writes the last row group and puts the file in place.</summary>
    public void Complete()
    {
        Flush();
        _file!.Close();
        _file.Dispose();
        _file = null;
        File.Move(_partial, _path, overwrite: true);
    }

    public void Dispose()
    {
        if (_file is not null)
        {
            _file.Dispose();
            _file = null;
            File.Delete(_partial);   // abandoned: never leave half a file behind
        }

        if (_pinnedScores.IsAllocated)
        {
            _pinnedScores.Free();
        }
    }

    private void Flush()
    {
        if (_rows == 0)
        {
            return;
        }

        var values = _rows * _topK;
        using var group = _file!.AppendRowGroup();
        using (var scores = (ColumnWriter<FixedLenByteArray>)group.NextColumn())
        {
            scores.WriteBatch(values, _definitions.AsSpan(0, values), _repetitions.AsSpan(0, values), _scoreValues.AsSpan(0, values));
        }

        using (var indices = (ColumnWriter<int>)group.NextColumn())
        {
            indices.WriteBatch(values, _definitions.AsSpan(0, values), _repetitions.AsSpan(0, values), _indices.AsSpan(0, values));
        }

        _rows = 0;
    }

    /// <summary>scores: required list of required float16; indices: required list of required int16 (INT32 annotated INT(16)).</summary>
    private static GroupNode Schema()
    {
        static Node ListOf(string name, Node element) =>
            new GroupNode(name, Repetition.Required, [new GroupNode("list", Repetition.Repeated, [element])], LogicalType.List());
        return new GroupNode("schema", Repetition.Required,
        [
            ListOf("scores", new PrimitiveNode("element", Repetition.Required, LogicalType.Float16(), PhysicalType.FixedLenByteArray, 2)),
            ListOf("indices", new PrimitiveNode("element", Repetition.Required, LogicalType.Int(16, isSigned: true), PhysicalType.Int32)),
        ]);
    }
}
