using System.Globalization;
using CsvHelper;
using Flame.Onnx.IO;

namespace Flame.Analysis.Reports;

/// <summary>Writes a CSV table (header + rows) atomically; numbers through <see cref="Number"/> so every table formats them alike.</summary>
public static class CsvTable
{
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows) => AtomicFile.Write(path, stream =>
    {
        using var text = new StreamWriter(stream, leaveOpen: true);
        using var csv = CsvWriter.Create(text, new CsvWriterOptions { NewLine = "\n" }, leaveOpen: true);   // LF, as every file we write
        csv.WriteRecord([.. header]);
        foreach (var row in rows)
        {
            if (row.Count != header.Count)
            {
                throw new ArgumentException($"{path}: a row has {row.Count} fields; the header has {header.Count}");
            }

            csv.WriteRecord([.. row]);
        }
    });

    /// <summary>Round-trippable, culture-invariant.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
