using System.Text;
using System.Text.Json;
using Flame.Native.DuckDb;

namespace Flame.Evaluation.Tasks;

/// <summary>
/// Finds and reads a task's dataset files under the folder the user names with --data:
/// <c>DATA/&lt;task&gt;/&lt;split&gt;*.jsonl</c> (one JSON object per line, the Hugging Face
/// datasets' JSON export) or <c>&lt;split&gt;*.parquet</c> (as the Hub publishes them, read
/// through DuckDB). docs/evaluation.md lists the files and fields per task.
/// </summary>
public static class TaskDataFiles
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The files holding <paramref name="split"/> of <paramref name="task"/>, sorted by name (shards in order).</summary>
    /// <exception cref="FileNotFoundException">no such files; the message names the folder and the expected file names.</exception>
    public static IReadOnlyList<string> Find(HarnessTask task, string dataRoot, string split)
    {
        var folder = Path.Combine(dataRoot, task.Name);
        var files = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(f).StartsWith(split, StringComparison.Ordinal)
                    && (f.EndsWith(".jsonl", StringComparison.Ordinal) || f.EndsWith(".parquet", StringComparison.Ordinal)))
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];
        return files.Count > 0
            ? files
            : throw new FileNotFoundException(
                $"no {split} data for task {task.Name}: expected {Path.Combine(folder, split)}.jsonl or .parquet (or {split}-*.jsonl/.parquet shards) "
                + $"with the fields {string.Join(", ", task.Fields)}; see docs/evaluation.md");
    }

    /// <summary>Reads and formats every record of a split; an unreadable record is an error naming its file and line.</summary>
    public static IReadOnlyList<FormattedDoc> Load(HarnessTask task, string dataRoot, string split)
    {
        var docs = new List<FormattedDoc>();
        foreach (var file in Find(task, dataRoot, split))
        {
            if (file.EndsWith(".parquet", StringComparison.Ordinal))
            {
                docs.AddRange(ParquetRows(file).Select(row => task.Format(row)));
                continue;
            }

            using var reader = new StreamReader(file, StrictUtf8);
            var lineNumber = 0;
            while (true)
            {
                string? line;
                try
                {
                    line = reader.ReadLine();
                }
                catch (DecoderFallbackException)
                {
                    throw new InvalidDataException($"{file}:{lineNumber + 1}: invalid UTF-8");
                }

                if (line is null)
                {
                    break;
                }

                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                JsonDocument json;
                try
                {
                    json = JsonDocument.Parse(line);
                }
                catch (JsonException e)
                {
                    throw new InvalidDataException($"{file}:{lineNumber}: not a JSON object: {e.Message}");
                }

                using (json)
                {
                    docs.Add(task.Format(new TaskRecord(json.RootElement, $"{file}:{lineNumber}")));
                }
            }
        }

        return docs;
    }

    // Each Parquet row becomes the same JSON object a JSONL export would hold (DuckDB's to_json), so one formatter serves both.
    private static IEnumerable<TaskRecord> ParquetRows(string file)
    {
        using var connection = DuckDbConnections.Open();
        List<string> rows = [];
        try
        {
            using var reader = connection.Query($"SELECT to_json(t)::VARCHAR FROM read_parquet({DuckDbSql.Literal(file)}) t");
            while (reader.Read())
            {
                rows.Add(reader.IsDBNull(0) ? "{}" : reader.GetString(0));
            }
        }
        catch (DuckDB.NET.Data.DuckDBException e)
        {
            throw new InvalidDataException($"{file}: not a readable Parquet file ({DuckDbConnections.Reason(e)})", e);
        }

        for (var r = 0; r < rows.Count; r++)
        {
            using var json = JsonDocument.Parse(rows[r]);
            yield return new TaskRecord(json.RootElement.Clone(), $"{file}, row {r + 1}");
        }
    }
}
