using ParquetSharp;

namespace Flame.Analysis.Traces;

/// <summary>The held-out tokens' ids in the released layout (<c>token_id</c> int32, one row per token), written beside the target and renamed.</summary>
internal static class SamplesFileWriter
{
    public static void Write(string path, ReadOnlySpan<int> tokenIds)
    {
        var partial = path + ".partial";
        try
        {
            using (var file = new ParquetFileWriter(partial, [new Column<int>("token_id")], Compression.Snappy))
            {
                for (var start = 0; start < tokenIds.Length || start == 0; start += LayerFileWriter.RowGroupRows)
                {
                    var rows = Math.Min(LayerFileWriter.RowGroupRows, tokenIds.Length - start);
                    using var group = file.AppendRowGroup();
                    using var column = group.NextColumn().LogicalWriter<int>();
                    column.WriteBatch(tokenIds.Slice(start, rows));
                    if (tokenIds.Length == 0)
                    {
                        break;
                    }
                }

                file.Close();
            }

            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }
}
