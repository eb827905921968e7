namespace Flame.ModelGraphs.Builder;

/// <summary>
/// Deterministic initial weights: each parameter's values come from its own generator,
/// seeded by the run seed and the parameter's name, so a value never depends on which other
/// parameters exist or in which order they are built. SplitMix64 + Box-Muller, our own code,
/// identical on every platform and .NET version.
/// </summary>
public static class WeightInitializer
{
    public static float[] Create(ParameterSpec spec, ulong seed)
    {
        var values = new float[checked((int)spec.ElementCount)];
        if (spec.Init == Initialization.Ones)
        {
            Array.Fill(values, 1f);
            return values;
        }

        var state = seed ^ Fnv1a(spec.Name);
        for (var i = 0; i < values.Length; i += 2)
        {
            // Box-Muller: two uniforms → two independent standard normals.
            var u1 = 1.0 - Uniform(ref state);
            var u2 = Uniform(ref state);
            var radius = Math.Sqrt(-2 * Math.Log(u1));
            values[i] = (float)(spec.Std * radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length)
            {
                values[i + 1] = (float)(spec.Std * radius * Math.Sin(2 * Math.PI * u2));
            }
        }

        return values;
    }

    private static double Uniform(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return ((z ^ (z >> 31)) >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
