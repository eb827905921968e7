namespace Flame.ModelGraphs.Config;

/// <summary>
/// Model FLOPs per token, the numerator of model FLOPs utilisation (MFU) as PaLM (Chowdhery et
/// al., 2022, appendix B) defines it: 6 N for the forward and backward matrix multiplies of
/// the N weights a token passes through (attention, dense MLPs, routers, its top-k experts and
/// the shared expert, the LM head; not the embedding lookup), plus 12 L H S for the attention
/// scores and weighted values over a sequence of S tokens. Recomputation is not counted.
/// </summary>
public static class ModelFlops
{
    public static double TrainingPerToken(ModelConfig c, int sequenceLength)
    {
        var count = ParameterCount.Of(c);
        double matmulWeights = count.Attention + count.DenseMlp + count.Routers + count.ActiveRoutedExperts + count.SharedExperts + (double)c.PaddedVocab * c.Hidden;
        return 6 * matmulWeights + 12.0 * c.Layers * c.Hidden * sequenceLength;
    }

    /// <summary>The forward pass alone (inference): a third of the training count.</summary>
    public static double ForwardPerToken(ModelConfig c, int sequenceLength) => TrainingPerToken(c, sequenceLength) / 3;
}
