using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flame.ModelGraphs.Config;

/// <summary>
/// Loads configs by preset name (model-graphs/configs/NAME.json, embedded in this assembly)
/// or from a JSON file, with dotted overrides ("top_k=2") that use the same field names.
/// </summary>
public static class ModelConfigs
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Names of the shipped presets.</summary>
    public static IReadOnlyList<string> Presets { get; } = typeof(ModelConfigs).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("configs/", StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
        .Select(n => n["configs/".Length..^".json".Length])
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>A preset name or a path to a JSON config, then overrides "field=value"; validated.</summary>
    /// <exception cref="ArgumentException">unknown preset, unknown field, bad value or an invalid config; the message names it.</exception>
    public static ModelConfig Load(string nameOrPath, IEnumerable<string>? overrides = null)
    {
        JsonObject json;
        string source;
        if (File.Exists(nameOrPath))
        {
            source = nameOrPath;
            json = ParseObject(File.ReadAllText(nameOrPath), source);
        }
        else
        {
            using var stream = typeof(ModelConfigs).Assembly.GetManifestResourceStream($"configs/{nameOrPath}.json")
                ?? throw new ArgumentException($"unknown model config '{nameOrPath}': not a file, and not one of the presets {string.Join(", ", Presets)}");
            source = $"preset {nameOrPath}";
            json = ParseObject(new StreamReader(stream).ReadToEnd(), source);
        }

        var known = typeof(ModelConfig).GetProperties()
            .Select(p => p.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()?.Name)
            .OfType<string>().ToHashSet();
        foreach (var field in json.Select(p => p.Key).Where(k => !known.Contains(k)))
        {
            throw new ArgumentException($"{source}: unknown field '{field}'; fields are {string.Join(", ", known.Order())}");
        }

        foreach (var assignment in overrides ?? [])
        {
            var parts = assignment.Split('=', 2);
            if (parts.Length != 2 || !known.Contains(parts[0].Trim()))
            {
                throw new ArgumentException($"override '{assignment}' must be field=value with a field among {string.Join(", ", known.Order())}");
            }

            json[parts[0].Trim()] = JsonNode.Parse(parts[1].Trim() is var v && (double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _) || v is "null" or "true" or "false") ? v : JsonSerializer.Serialize(v));
        }

        try
        {
            return (json.Deserialize<ModelConfig>() ?? throw new ArgumentException($"{source}: empty config")).Validate();
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{source}: {e.Message}", e);
        }
    }

    public static string ToJson(ModelConfig config) => JsonSerializer.Serialize(config, Json);

    private static JsonObject ParseObject(string text, string source)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new ArgumentException($"{source}: a config must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{source}: not valid JSON ({e.Message})", e);
        }
    }
}
