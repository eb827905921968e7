namespace Flame.Server;

/// <summary>How a request turns experts off: "mask" (taken out of the router's choice) or "zero" (contribution removed).</summary>
public sealed record ExpertIntervention(int Layer, int[] Experts, string Mode = ExpertInterventions.Mask);

/// <summary>A request's interventions, checked against the model, turned into the graph's mask and keep inputs.</summary>
public sealed class ExpertInterventions
{
    public const string Mask = "mask";
    public const string Zero = "zero";

    private readonly IReadOnlyList<ExpertIntervention> _items;

    private ExpertInterventions(IReadOnlyList<ExpertIntervention> items) => _items = items;

    public static ExpertInterventions None { get; } = new([]);

    /// <summary>Validates layers, experts and modes; the message names the offending field.</summary>
    public static ExpertInterventions From(IReadOnlyList<ExpertIntervention>? items, IReadOnlyList<int> moeLayers, int experts, int topK)
    {
        if (items is null || items.Count == 0)
        {
            return None;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (!moeLayers.Contains(item.Layer))
            {
                throw new RequestException($"interventions[{i}].layer: {item.Layer} is not an MoE layer (MoE layers: {string.Join(", ", moeLayers)})");
            }

            if (item.Experts is null || item.Experts.Any(e => e < 0 || e >= experts))
            {
                throw new RequestException($"interventions[{i}].experts: expert ids must lie in [0, {experts})");
            }

            if (item.Mode is not (Mask or Zero))
            {
                throw new RequestException($"interventions[{i}].mode: '{item.Mode}' is not \"mask\" or \"zero\"");
            }
        }

        foreach (var layer in items.Where(i => i.Mode == Mask).GroupBy(i => i.Layer))
        {
            if (experts - layer.SelectMany(i => i.Experts).Distinct().Count() < topK)
            {
                throw new RequestException($"interventions: layer {layer.Key} must keep at least top_k = {topK} experts selectable");
            }
        }

        return new ExpertInterventions(items);
    }

    /// <summary>The mask and keep vectors of one layer (1 = untouched).</summary>
    public (float[] Mask, float[] Keep) For(int layer, int experts)
    {
        var mask = Enumerable.Repeat(1f, experts).ToArray();
        var keep = Enumerable.Repeat(1f, experts).ToArray();
        foreach (var item in _items.Where(i => i.Layer == layer))
        {
            foreach (var e in item.Experts)
            {
                (item.Mode == Mask ? mask : keep)[e] = 0;
            }
        }

        return (mask, keep);
    }
}

/// <summary>A request the server refuses, with the HTTP status and a message naming the field.</summary>
public sealed class RequestException(string message, int status = 400) : Exception(message)
{
    public int Status { get; } = status;
}
