using System.Globalization;
using CsvHelper;

namespace Flame.Analysis.Scaling;

/// <summary>One finished run: its active parameters N, tokens trained D, and final validation loss.</summary>
public sealed record ScalingObservation(double ActiveParameters, double Tokens, double Loss)
{
    /// <summary>CSV columns, one run per row.</summary>
    public static readonly string[] Columns = ["active_params", "tokens", "loss"];

    /// <summary>Reads observations from a CSV file with the header <c>active_params,tokens,loss</c>.</summary>
    /// <exception cref="InvalidDataException">a missing column, or a value that is not a positive number; the message names the file, row and column.</exception>
    public static IReadOnlyList<ScalingObservation> ReadCsv(string path)
    {
        using var csv = CsvReader.FromFile(path, new CsvReaderOptions { HasHeader = true, TrimWhitespace = true });
        if (!csv.Read())
        {
            return [];
        }

        var missing = Columns.Where(c => !csv.TryGetFieldIndex(c, out _)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"{path}: missing column(s) {string.Join(", ", missing)}; expected a header {string.Join(',', Columns)}");
        }

        var observations = new List<ScalingObservation>();
        do
        {
            double Positive(string column)
            {
                var text = csv.GetString(column);
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value > 0) || double.IsInfinity(value))
                {
                    // Row numbers count the header as row 1, as a spreadsheet shows them.
                    throw new InvalidDataException($"{path}: row {csv.RowNumber + 1}, column {column}: '{text}' is not a positive number");
                }

                return value;
            }

            observations.Add(new ScalingObservation(Positive("active_params"), Positive("tokens"), Positive("loss")));
        }
        while (csv.Read());

        return observations;
    }
}
