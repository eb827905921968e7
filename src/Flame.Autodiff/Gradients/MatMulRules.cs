using Flame.Onnx.Models;
using Flame.Autodiff.Graph;

namespace Flame.Autodiff.Gradients;

/// <summary>
/// MatMul with numpy batch broadcasting: for Y = A B, dA = dY Bᵀ and dB = Aᵀ dY, each summed over
/// the batch dimensions its operand was broadcast along. The common case of activations
/// (..., K) times a weight matrix (K, N) is done as two Gemms over the flattened batch, so the
/// weight gradient never materialises a per-batch copy.
/// </summary>
internal static class MatMulRules
{
    public static void Register(Dictionary<string, Action<GradientContext>> rules) => rules["MatMul"] = MatMul;

    private static void MatMul(GradientContext c)
    {
        var (rankA, rankB) = (c.RankOfInput(0), c.RankOfInput(1));
        if (rankA < 2 || rankB < 2)
        {
            throw c.Error("MatMul with a 1-D operand has no gradient rule (unsqueeze it to a matrix)");
        }

        var e = c.Emit;
        if (rankB == 2)
        {
            // Flatten the batch: A as (M, K), dY as (M, N).
            var rowsOfA = e.Reshape(c.Input(0), e.Concat(0, e.Ints(-1), e.Node("Slice", [e.Shape(c.Input(0)), e.Ints(-1), e.Ints(long.MaxValue)])));
            var rowsOfGradient = e.Reshape(c.Gradient, e.Concat(0, e.Ints(-1), e.Node("Slice", [e.Shape(c.Gradient), e.Ints(-1), e.Ints(long.MaxValue)])));
            if (c.Needs(0))
            {
                var gradient = e.Node("Gemm", [rowsOfGradient, c.Input(1)], OnnxAttributes.Int("transB", 1));   // (M, K)
                c.SetGradient(0, rankA == 2 ? gradient : e.ReshapeLike(gradient, c.Input(0)));
            }

            if (c.Needs(1))
            {
                c.SetGradient(1, e.Node("Gemm", [rowsOfA, rowsOfGradient], OnnxAttributes.Int("transA", 1)));   // (K, N)
            }

            return;
        }

        if (c.Needs(0))
        {
            c.SetGradient(0, c.Unbroadcast(e.Node("MatMul", [c.Gradient, SwapLastTwo(e, c.Input(1), rankB)]), 0));
        }

        if (c.Needs(1))
        {
            c.SetGradient(1, c.Unbroadcast(e.Node("MatMul", [SwapLastTwo(e, c.Input(0), rankA), c.Gradient]), 1));
        }
    }

    private static string SwapLastTwo(NodeEmitter e, string x, int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return e.Transpose(x, perm);
    }
}
