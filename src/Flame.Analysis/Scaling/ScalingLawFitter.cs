using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace Flame.Analysis.Scaling;

/// <summary>How <see cref="ScalingLawFitter"/> searches.</summary>
/// <param name="HuberDelta">Huber's delta on log-loss residuals (FLAME-MoE, after Chinchilla: 1e-3).</param>
/// <param name="ExponentGrid">Starting values for alpha and beta.</param>
/// <param name="LogEGrid">Starting values for log E.</param>
/// <param name="LogCoefficientGrid">Starting values for log A and log B.</param>
public sealed record ScalingFitOptions(
    double HuberDelta,
    IReadOnlyList<double> ExponentGrid,
    IReadOnlyList<double> LogEGrid,
    IReadOnlyList<double> LogCoefficientGrid)
{
    /// <summary>Chinchilla's grid of starting points (4,500 starts).</summary>
    public static ScalingFitOptions Default { get; } = new(
        1e-3, [0, 0.5, 1, 1.5, 2], [-1, -0.5, 0, 0.5, 1], [0, 5, 10, 15, 20, 25]);
}

/// <summary>The fitted law, the objective it reached and how many starts converged.</summary>
public sealed record ScalingFit(ScalingLaw Law, double Objective, int StartsConverged, int StartsTried);

/// <summary>
/// Fits L(N, D) = E + A/N^alpha + B/D^beta as FLAME-MoE does (after Hoffmann et al., 2022):
/// minimise sum_i Huber_delta(LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i) over
/// (a, b, e, alpha, beta) = (log A, log B, log E, alpha, beta) with L-BFGS from every point of
/// a grid, keeping the best. Fitting in log space keeps the coefficients positive and the
/// problem well scaled even though B is in the millions.
/// </summary>
public static class ScalingLawFitter
{
    public static ScalingFit Fit(IReadOnlyList<ScalingObservation> observations, ScalingFitOptions? options = null)
    {
        options ??= ScalingFitOptions.Default;
        if (observations.Count < 5)
        {
            throw new ArgumentException($"a fit of 5 parameters needs at least 5 runs; got {observations.Count}", nameof(observations));
        }

        var logN = observations.Select(o => Math.Log(o.ActiveParameters)).ToArray();
        var logD = observations.Select(o => Math.Log(o.Tokens)).ToArray();
        var logL = observations.Select(o => Math.Log(o.Loss)).ToArray();

        var starts = (from a in options.LogCoefficientGrid
                      from b in options.LogCoefficientGrid
                      from e in options.LogEGrid
                      from alpha in options.ExponentGrid
                      from beta in options.ExponentGrid
                      select new[] { a, b, e, alpha, beta }).ToList();

        var results = starts.AsParallel().Select(start =>
        {
            var objective = ObjectiveFunction.Gradient(theta => Objective(theta, logN, logD, logL, options.HuberDelta));
            try
            {
                var minimum = new LimitedMemoryBfgsMinimizer(1e-12, 1e-12, 1e-15, 10, 2000)
                    .FindMinimum(objective, Vector<double>.Build.DenseOfArray(start));
                return (Point: minimum.MinimizingPoint.ToArray(), Value: minimum.FunctionInfoAtMinimum.Value);
            }
            catch (Exception e) when (e is MaximumIterationsException or OptimizationException or ArithmeticException)
            {
                return (Point: start, Value: double.NaN); // this start diverged; others cover the space
            }
        }).Where(r => double.IsFinite(r.Value)).ToList();

        if (results.Count == 0)
        {
            throw new InvalidOperationException("no start of the grid converged; check that the losses fall with N and D");
        }

        var best = results.MinBy(r => r.Value);
        var p = best.Point;
        return new ScalingFit(new ScalingLaw(Math.Exp(p[2]), Math.Exp(p[0]), p[3], Math.Exp(p[1]), p[4]), best.Value, results.Count, starts.Count);
    }

    /// <summary>The Huber objective and its gradient with respect to (a, b, e, alpha, beta).</summary>
    private static (double, Vector<double>) Objective(Vector<double> theta, double[] logN, double[] logD, double[] logL, double delta)
    {
        double a = theta[0], b = theta[1], e = theta[2], alpha = theta[3], beta = theta[4];
        var value = 0.0;
        var gradient = new double[5];
        for (var i = 0; i < logL.Length; i++)
        {
            // log L-hat = LSE(t1, t2, t3); d LSE / d t_j = softmax weight w_j.
            double t1 = a - alpha * logN[i], t2 = b - beta * logD[i], t3 = e;
            var max = Math.Max(t1, Math.Max(t2, t3));
            double w1 = Math.Exp(t1 - max), w2 = Math.Exp(t2 - max), w3 = Math.Exp(t3 - max);
            var sum = w1 + w2 + w3;
            var residual = max + Math.Log(sum) - logL[i];
            w1 /= sum; w2 /= sum; w3 /= sum;

            // Huber: r^2/2 inside delta, linear outside; its slope is r clipped to [-delta, delta].
            var absolute = Math.Abs(residual);
            value += absolute <= delta ? 0.5 * residual * residual : delta * (absolute - 0.5 * delta);
            var slope = Math.Clamp(residual, -delta, delta);

            gradient[0] += slope * w1;
            gradient[1] += slope * w2;
            gradient[2] += slope * w3;
            gradient[3] -= slope * w1 * logN[i];
            gradient[4] -= slope * w2 * logD[i];
        }

        return (value, Vector<double>.Build.DenseOfArray(gradient));
    }
}
