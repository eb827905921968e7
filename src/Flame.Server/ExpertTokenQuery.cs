using System.Globalization;
using Flame.Analysis.Traces;
using Flame.Native.DuckDb;

namespace Flame.Server;

/// <summary>
/// The tokens an expert prefers, from a traces folder (ours or the released FLAME-MoE traces):
/// score(e, v) = occurrences of v routed to e / occurrences of v (v seen at least 5 times), at
/// the last traced checkpoint, computed by DuckDB over the Parquet files.
/// </summary>
public sealed class ExpertTokenQuery(string traces)
{
    public (string Checkpoint, IReadOnlyList<(int Token, long Hits, long Occurrences)> Tokens) Top(int modelLayer, int expert, int count)
    {
        var checkpoints = TraceLayout.Checkpoints(traces);
        if (checkpoints.Count == 0)
        {
            throw new RequestException($"the traces folder {traces} has no checkpoints", 404);
        }

        var (checkpoint, _) = checkpoints[^1];
        var file = TraceLayout.LayerFile(traces, checkpoint, modelLayer + 1);   // trace files number layers from 1
        if (!File.Exists(file))
        {
            throw new RequestException($"layer {modelLayer} is not in the traces ({file} is missing)", 404);
        }

        using var connection = DuckDbConnections.Open();
        using var reader = connection.Query(
            "SELECT s.token_id::INTEGER AS token, count(*) FILTER (WHERE list_contains(a.indices::INTEGER[], " + expert.ToString(CultureInfo.InvariantCulture) + ")) AS hits, count(*) AS n "
            + $"FROM read_parquet({DuckDbSql.Literal(Path.Combine(TraceLayout.SamplesFolder(traces), "*.parquet"))}) s POSITIONAL JOIN read_parquet({DuckDbSql.Literal(file)}) a "
            + "GROUP BY token HAVING count(*) >= 5 AND hits > 0 ORDER BY hits::DOUBLE / n DESC, n DESC, token LIMIT " + count.ToString(CultureInfo.InvariantCulture));
        var rows = new List<(int, long, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return (checkpoint, rows);
    }
}
