namespace Flame.ModelGraphs.Config;

/// <summary>
/// Parameters of a config, counted from the config alone (nothing is built), as FLAME-MoE
/// counts them: both embeddings (padded vocabulary) included; "active" counts the top-k
/// routed experts, the shared expert and the router of each MoE layer.
/// </summary>
public sealed record ParameterCount(long Embeddings, long Attention, long DenseMlp, long Routers, long RoutedExperts, long ActiveRoutedExperts, long SharedExperts, long Norms)
{
    public long Total => Embeddings + Attention + DenseMlp + Routers + RoutedExperts + SharedExperts + Norms;

    public long Active => Embeddings + Attention + DenseMlp + Routers + ActiveRoutedExperts + SharedExperts + Norms;

    public static ParameterCount Of(ModelConfig c)
    {
        long h = c.Hidden;
        var moeLayers = Enumerable.Range(0, c.Layers).Count(c.IsMoeLayer);
        var denseLayers = c.Layers - moeLayers;
        long SwiGlu(long ffn) => 3 * h * ffn; // fc1: h → 2 ffn, fc2: ffn → h
        return new ParameterCount(
            Embeddings: 2L * c.PaddedVocab * h,
            Attention: c.Layers * 4 * h * h,
            DenseMlp: denseLayers * SwiGlu(c.DenseFfn),
            Routers: moeLayers * h * c.Experts,
            RoutedExperts: moeLayers * c.Experts * SwiGlu(c.ExpertFfn),
            ActiveRoutedExperts: moeLayers * c.TopK * SwiGlu(c.ExpertFfn),
            SharedExperts: moeLayers * SwiGlu(c.SharedFfn),
            Norms: (2L * c.Layers + 1) * h);
    }
}
