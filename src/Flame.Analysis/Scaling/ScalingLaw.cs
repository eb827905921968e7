namespace Flame.Analysis.Scaling;

/// <summary>
/// The Chinchilla-style scaling law FLAME-MoE fits: L(N, D) = E + A / N^alpha + B / D^beta,
/// with N the active parameters and D the training tokens (D = FLOPs / (6 N)).
/// </summary>
public sealed record ScalingLaw(double E, double A, double Alpha, double B, double Beta)
{
    /// <summary>The fit published with FLAME-MoE (arXiv 2505.20225).</summary>
    public static ScalingLaw FlameMoePublished { get; } = new(2.2417, 148.41, 0.2797, 3_269_017, 0.7155);

    /// <summary>Predicted loss for <paramref name="activeParameters"/> trained on <paramref name="tokens"/>.</summary>
    public double Predict(double activeParameters, double tokens) =>
        E + A / Math.Pow(activeParameters, Alpha) + B / Math.Pow(tokens, Beta);

    /// <summary>
    /// The compute-optimal split of a FLOP budget C = 6 N D. Minimising A N^-alpha + B D^-beta on
    /// N D = C/6 gives alpha A N^-alpha = beta B D^-beta, so
    /// N* = (alpha A / (beta B))^(1/(alpha+beta)) (C/6)^(beta/(alpha+beta)) and D* = (C/6) / N*.
    /// </summary>
    public ComputeOptimalPlan PlanFor(double flops)
    {
        if (!(flops > 0) || double.IsInfinity(flops))
        {
            throw new ArgumentOutOfRangeException(nameof(flops), flops, "the FLOP budget must be a positive finite number");
        }

        var tokenParameterProduct = flops / 6;
        var scale = Math.Pow(Alpha * A / (Beta * B), 1 / (Alpha + Beta));
        var parameters = scale * Math.Pow(tokenParameterProduct, Beta / (Alpha + Beta));
        var tokens = tokenParameterProduct / parameters;
        return new ComputeOptimalPlan(flops, parameters, tokens, Predict(parameters, tokens));
    }
}

/// <summary>The compute-optimal model size and data for a FLOP budget, with the loss the law predicts.</summary>
public sealed record ComputeOptimalPlan(double Flops, double ActiveParameters, double Tokens, double PredictedLoss);
