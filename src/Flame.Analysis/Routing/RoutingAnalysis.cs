namespace Flame.Analysis.Routing;

/// <summary>
/// Runs FLAME-MoE's routing analyses over a trace set, streaming each (checkpoint, layer)
/// trace block by block: load balance, co-activation (final checkpoint), router saturation
/// against the final checkpoint for k in {1, 2, 4, 6}, and expert specialization tracked over
/// checkpoints for each expert's top tokens at the final checkpoint.
/// </summary>
public static class RoutingAnalysis
{
    /// <summary>How many top tokens per expert are tracked over training.</summary>
    public const int TrackedTokensPerExpert = 5;

    public static RoutingAnalysisResult Run(IRoutingTraceSet traces, IProgress<string>? progress = null)
    {
        if (traces.Checkpoints.Count == 0 || traces.Layers.Count == 0)
        {
            throw new InvalidDataException("the trace set has no checkpoints or no MoE layers");
        }

        var final = traces.Checkpoints[^1];
        var ks = RouterSaturation.DefaultKs.Where(k => k <= traces.TopK).ToArray();
        var load = new List<LayerLoad>();
        var saturation = new List<SaturationPoint>();
        var specialization = new List<SpecializationTrack>();
        var coActivation = new List<LayerCoActivation>();
        long tokens = 0;

        foreach (var layer in traces.Layers)
        {
            // The final checkpoint first: it fixes the tokens that specialization tracks.
            var finalSpecialization = new ExpertSpecialization(traces.Experts, traces.Vocabulary);
            var finalCo = new CoActivation(traces.Experts);
            var tracks = new List<(int Expert, TokenScore Token)>();
            var scores = new double[traces.Checkpoints.Count][];

            for (var c = traces.Checkpoints.Count - 1; c >= 0; c--)
            {
                var checkpoint = traces.Checkpoints[c];
                progress?.Report($"layer {layer}, {checkpoint.Name}");
                var spec = c == traces.Checkpoints.Count - 1 ? finalSpecialization : new ExpertSpecialization(traces.Experts, traces.Vocabulary);
                var layerLoad = new ExpertLoad(traces.Experts);
                foreach (var block in traces.Read(checkpoint, layer))
                {
                    var chunk = block.AsChunk();
                    layerLoad.Accept(chunk);
                    spec.Accept(chunk);
                    if (checkpoint == final)
                    {
                        finalCo.Accept(chunk);
                    }
                }

                tokens = layerLoad.Tokens;
                load.Add(new LayerLoad(checkpoint, layer, layerLoad.Fractions(), layerLoad.Entropy(), layerLoad.MaxOverMean()));
                if (checkpoint == final)
                {
                    tracks = Enumerable.Range(0, traces.Experts)
                        .SelectMany(e => spec.TopTokens(e, TrackedTokensPerExpert).Select(t => (e, t)))
                        .ToList();
                }

                scores[c] = tracks.Select(t => spec.Score(t.Expert, t.Token.TokenId)).ToArray();

                var sat = new RouterSaturation(ks);
                using var finalBlocks = traces.Read(final, layer).GetEnumerator();
                foreach (var block in traces.Read(checkpoint, layer))
                {
                    if (!finalBlocks.MoveNext() || finalBlocks.Current.TokenIds.Length != block.TokenIds.Length)
                    {
                        throw new InvalidDataException(
                            $"layer {layer}: the traces of {checkpoint.Name} and {final.Name} do not cover the same token rows");
                    }

                    sat.Accept(block.AsChunk(), finalBlocks.Current.AsChunk());
                }

                var values = sat.Values();
                saturation.AddRange(ks.Select((k, i) => new SaturationPoint(checkpoint, layer, k, values[i])));
            }

            specialization.AddRange(tracks.Select((t, i) => new SpecializationTrack(
                layer, t.Expert, t.Token.TokenId, t.Token.Occurrences, scores.Select(s => s[i]).ToArray())));
            coActivation.Add(new LayerCoActivation(layer, finalCo.Matrix(), finalCo.StrongestExperts(), finalCo.DensityAbove(0.1)));
        }

        return new RoutingAnalysisResult(traces.Checkpoints, Order(load), saturation.OrderBy(s => s.Checkpoint.Step).ThenBy(s => s.Layer).ThenBy(s => s.K).ToList(),
            specialization, coActivation, tokens);
    }

    private static List<LayerLoad> Order(List<LayerLoad> load) => load.OrderBy(l => l.Checkpoint.Step).ThenBy(l => l.Layer).ToList();
}
