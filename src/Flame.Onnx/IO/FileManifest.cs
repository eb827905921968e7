using System.Security.Cryptography;
using System.Text.Json;

namespace Flame.Onnx.IO;

/// <summary>
/// manifest.json: the SHA-256 of every file in a folder (an export), written last and checked by
/// whoever loads the folder, so a flipped byte or a swapped file is named instead of served.
/// </summary>
public static class FileManifest
{
    public const string FileName = "manifest.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Hashes every file under <paramref name="folder"/> (but the manifest) into its manifest.json.</summary>
    public static void Write(string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f)).Where(f => f != FileName).Order(StringComparer.Ordinal)
            .ToDictionary(f => f, f => Sha256(Path.Combine(folder, f)));
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(new Dictionary<string, object> { ["sha256"] = files }, Json));
    }

    /// <summary>Checks the files the manifest lists (all of them, or <paramref name="only"/>); true if the folder has a manifest.</summary>
    /// <exception cref="InvalidDataException">a listed file is missing or its hash differs (named), or the manifest is malformed.</exception>
    public static bool Verify(string folder, IReadOnlyCollection<string>? only = null)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return false;
        }

        Dictionary<string, string> files;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            files = document.RootElement.GetProperty("sha256").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not a manifest ({e.Message})", e);
        }

        foreach (var (name, expected) in files.Where(f => only is null || only.Contains(f.Key)))
        {
            var file = Path.Combine(folder, name);
            if (!File.Exists(file))
            {
                throw new InvalidDataException($"{file} is missing; {path} lists it");
            }

            if (Sha256(file) != expected)
            {
                throw new InvalidDataException($"{file} is corrupt or was replaced: its SHA-256 differs from {path}'s");
            }
        }

        return true;
    }
}
