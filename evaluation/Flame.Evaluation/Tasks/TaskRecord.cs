using System.Text.Json;

namespace Flame.Evaluation.Tasks;

/// <summary>
/// One row of a task's dataset file, with typed field access whose errors name the file, the
/// line or row and the field, so a user can fix a malformed dataset without guessing.
/// </summary>
public sealed class TaskRecord(JsonElement fields, string location)
{
    /// <summary>"file:line" (JSONL) or "file, row N" (Parquet).</summary>
    public string Location { get; } = location;

    public string GetString(string field) => Get(field) switch
    {
        { ValueKind: JsonValueKind.String } value => value.GetString()!,
        var value => throw Malformed(field, $"expected a string, found {value.ValueKind}"),
    };

    /// <summary>An integer field, also when the dataset stores it as a string ("0", "1", as HellaSwag does) or a bool.</summary>
    public int GetInt(string field) => Get(field) switch
    {
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt32(out var number) => number,
        { ValueKind: JsonValueKind.String } value when int.TryParse(value.GetString(), out var number) => number,
        { ValueKind: JsonValueKind.True } => 1,
        { ValueKind: JsonValueKind.False } => 0,
        var value => throw Malformed(field, $"expected an integer, found {value.ValueKind} {value}"),
    };

    public IReadOnlyList<string> GetStrings(string field)
    {
        var value = Get(field);
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw Malformed(field, "expected a list of strings");
        }

        return value.EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    /// <summary>A nested record (e.g. ARC's "choices": {"text": [...], "label": [...]}).</summary>
    public TaskRecord GetObject(string field)
    {
        var value = Get(field);
        return value.ValueKind == JsonValueKind.Object
            ? new TaskRecord(value, $"{Location}, field {field}")
            : throw Malformed(field, $"expected an object, found {value.ValueKind}");
    }

    /// <summary>An error about this record's field, for checks the task itself makes.</summary>
    public InvalidDataException Malformed(string field, string problem) =>
        new($"{Location}: field '{field}': {problem}");

    private JsonElement Get(string field) =>
        fields.ValueKind == JsonValueKind.Object && fields.TryGetProperty(field, out var value)
            ? value
            : throw new InvalidDataException($"{Location}: missing field '{field}'");
}
