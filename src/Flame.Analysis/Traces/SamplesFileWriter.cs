using Flame.Onnx.IO;
using ParquetSharp;

namespace Flame.Analysis.Traces;

/// <summary>The held-out tokens' ids in the released layout (<c>token_id</c> int32, one row per token), written atomically.</summary>
internal static class SamplesFileWriter
{
    public static void Write(string path, int[] ids) => AtomicFile.Write(path, stream =>
    {
        using var file = new ParquetFileWriter(stream, [new Column<int>("token_id")], LogicalTypeFactory.Default, Compression.Snappy, null, leaveOpen: true);
        // One row group per LayerFileWriter.RowGroupRows tokens, as the layer files; an empty sample set is one empty group.
        var start = 0;
        do
        {
            var rows = Math.Min(LayerFileWriter.RowGroupRows, ids.Length - start);
            using var group = file.AppendRowGroup();
            using var column = group.NextColumn().LogicalWriter<int>();
            column.WriteBatch(ids.AsSpan(start, rows));
            start += rows;
        }
        while (start < ids.Length);

        file.Close();
    });
}
