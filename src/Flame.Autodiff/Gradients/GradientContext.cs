using Flame.Onnx.Models;
using Flame.Autodiff.Graph;
using Flame.Autodiff.Shapes;
using Flame.Onnx.Proto;

namespace Flame.Autodiff.Gradients;

/// <summary>
/// What a gradient rule sees of one forward node: its inputs and outputs with their static
/// infos, the gradients arriving at its outputs (null where none flows), and where to put the
/// gradients of its inputs. Rules emit standard ONNX nodes through <see cref="Emit"/>.
/// </summary>
public sealed class GradientContext(NodeProto node, NodeEmitter emit, string?[] outputGradients, bool[] needsGradient)
{
    public NodeProto Node { get; } = node;

    public NodeEmitter Emit { get; } = emit;

    public string?[] InputGradients { get; } = new string?[node.Input.Count];

    public string Input(int i) => Node.Input[i];

    public string Output(int i) => Node.Output[i];

    public TensorInfo InputInfo(int i) => Emit.Info(Node.Input[i]);

    public TensorInfo OutputInfo(int i) => Emit.Info(Node.Output[i]);

    /// <summary>The gradient arriving at output <paramref name="i"/>, or null.</summary>
    public string? OutputGradient(int i) => i < outputGradients.Length ? outputGradients[i] : null;

    /// <summary>The gradient of output 0, which every single-output rule is called with.</summary>
    public string Gradient => outputGradients[0] ?? throw new InvalidOperationException("no gradient");

    /// <summary>Whether input <paramref name="i"/> needs a gradient (it depends on a parameter).</summary>
    public bool Needs(int i) => i < needsGradient.Length && needsGradient[i];

    public void SetGradient(int i, string gradient)
    {
        if (Needs(i))
        {
            InputGradients[i] = gradient;
        }
    }

    /// <summary>A failure of this rule, naming the op and node.</summary>
    public AutodiffException Error(string reason) => new($"cannot differentiate {Node.Describe()}: {reason}");

    /// <summary>The rank of input <paramref name="i"/>, which the rule needs statically.</summary>
    public int RankOfInput(int i) => InputInfo(i).HasRank ? InputInfo(i).Rank : throw Error($"the rank of input '{Input(i)}' is unknown");

    /// <summary>
    /// Sums a gradient of the broadcast result down to the shape of input <paramref name="i"/>
    /// (numpy broadcasting in reverse). The axes are decided statically where the shapes tell;
    /// where a dimension might or might not have broadcast, they are computed at run time.
    /// </summary>
    public string Unbroadcast(string gradient, int i)
    {
        var target = InputInfo(i);
        var source = Emit.Info(gradient);
        if (!target.HasRank || !source.HasRank)
        {
            throw Error($"summing a broadcast gradient needs the ranks of the operand '{Input(i)}' ({(target.HasRank ? target.Rank : "unknown")}) and of its gradient '{gradient}' ({(source.HasRank ? source.Rank : "unknown")})");
        }

        var (rank, targetRank) = (source.Rank, target.Rank);
        var staticAxes = new List<long>();
        var uncertain = new List<long>();
        for (var a = 0; a < rank; a++)
        {
            if (a < rank - targetRank)
            {
                staticAxes.Add(a);
                continue;
            }

            var (dim, sourceDim) = (target.Shape![a - (rank - targetRank)], source.Shape![a]);
            if (TensorInfo.SameDim(dim, sourceDim) || TensorInfo.IsOne(sourceDim) || dim.IsKnown && dim.Size != 1)
            {
                continue;
            }

            if (TensorInfo.IsOne(dim))
            {
                staticAxes.Add(a);
            }
            else
            {
                uncertain.Add(a);
            }
        }

        if (staticAxes.Count == 0 && uncertain.Count == 0)
        {
            return rank == targetRank ? gradient : Emit.ReshapeLike(gradient, Input(i));
        }

        string summed;
        if (uncertain.Count == 0)
        {
            summed = Emit.ReduceSum(gradient, [.. staticAxes], keepDims: true);
        }
        else
        {
            // Axes where the operand's size is 1 and the gradient's is not, found at run time. A
            // leading unit axis, always reduced, keeps the list non-empty (an empty one means all).
            var padded = Emit.Concat(0, Emit.Ints(Enumerable.Repeat(1L, rank - targetRank + 1).ToArray()), Emit.Shape(Input(i)));
            var one = Emit.Ints(1);
            var lifted = Emit.Unsqueeze(gradient, 0);
            var broadcast = Emit.Node("And", [Emit.Node("Equal", [padded, one]), Emit.Node("Not", [Emit.Node("Equal", [Emit.Shape(lifted), one])])]);
            var candidates = Emit.Ints(Enumerable.Range(0, rank + 1).Select(a => (long)a).ToArray());
            var leading = Emit.Node("Equal", [candidates, Emit.Ints(0)]);
            var axes = Emit.Node("Compress", [candidates, Emit.Node("Or", [broadcast, leading])], OnnxAttributes.Int("axis", 0));
            summed = Emit.Node("ReduceSum", [lifted, axes], OnnxAttributes.Int("keepdims", 1));
        }

        return Emit.ReshapeLike(summed, Input(i));
    }
}
