using Flame.Onnx.Models;
using Flame.ModelGraphs.Builder;
using Flame.Autodiff.Graph;
using Flame.Autodiff.Shapes;

namespace Flame.Autodiff.Gradients;

/// <summary>Ops that move elements without changing them: their gradients move them back.</summary>
internal static class ShapeRules
{
    public static void Register(Dictionary<string, Action<GradientContext>> rules)
    {
        foreach (var op in new[] { "Reshape", "Squeeze", "Unsqueeze", "Flatten" })
        {
            rules[op] = c => c.SetGradient(0, c.Emit.ReshapeLike(c.Gradient, c.Input(0)));
        }

        rules["Transpose"] = Transpose;
        rules["Expand"] = c => c.SetGradient(0, c.Unbroadcast(c.Gradient, 0));
        rules["Concat"] = Concat;
        rules["Split"] = Split;
        rules["Slice"] = Slice;
        rules["Trilu"] = c => c.SetGradient(0, c.Node.Input.Count > 1 && c.Input(1).Length > 0
            ? c.Emit.Node("Trilu", [c.Gradient, c.Input(1)], OnnxAttributes.Int("upper", c.Node.Int("upper", 1)))
            : c.Emit.Node("Trilu", [c.Gradient], OnnxAttributes.Int("upper", c.Node.Int("upper", 1))));
    }

    private static void Transpose(GradientContext c)
    {
        var perm = c.Node.Ints("perm") ?? Enumerable.Range(0, c.RankOfInput(0)).Reverse().Select(i => (long)i).ToArray();
        var inverse = new long[perm.Length];
        for (var i = 0; i < perm.Length; i++)
        {
            inverse[perm[i]] = i;
        }

        c.SetGradient(0, c.Emit.Transpose(c.Gradient, inverse));
    }

    // Split the gradient back into the inputs' extents along the axis.
    private static void Concat(GradientContext c)
    {
        var e = c.Emit;
        var axis = ShapeInference.Normalize(c.Node.Int("axis", 0), c.RankOfInput(0));
        var sizes = e.Concat(0, Enumerable.Range(0, c.Node.Input.Count)
            .Select(i => e.Node("Slice", [e.Shape(c.Input(i)), e.Ints(axis), e.Ints(axis + 1)])).ToArray());
        var parts = e.Node("Split", [c.Gradient, sizes], c.Node.Input.Count, OnnxAttributes.Int("axis", axis));
        for (var i = 0; i < parts.Length; i++)
        {
            c.SetGradient(i, parts[i]);
        }
    }

    // Concatenate the outputs' gradients, zeros for outputs no gradient reached.
    private static void Split(GradientContext c)
    {
        var axis = ShapeInference.Normalize(c.Node.Int("axis", 0), c.RankOfInput(0));
        var parts = Enumerable.Range(0, c.Node.Output.Count).Select(i => c.OutputGradient(i) ?? c.Emit.ZerosLike(c.Output(i))).ToArray();
        c.SetGradient(0, c.Emit.Concat(axis, parts));
    }

    // Pad the gradient with zeros back to the input's extent: before = clamped start, after = size − clamped end.
    private static void Slice(GradientContext c)
    {
        var e = c.Emit;
        var rank = c.RankOfInput(0);
        var input = c.InputInfo(0);
        var starts = c.InputInfo(1).Elements;
        var ends = c.InputInfo(2).Elements;
        var axes = c.Node.Input.Count > 3 && c.Input(3).Length > 0 ? c.InputInfo(3).Elements : starts?.Select((_, i) => (Dim)i).ToArray();
        if (c.Node.Input.Count > 4 && c.Input(4).Length > 0 && c.InputInfo(4).Elements is not { } steps)
        {
            throw c.Error("slice steps must be constant");
        }
        else if (c.Node.Input.Count > 4 && c.Input(4).Length > 0 && c.InputInfo(4).Elements!.Any(s => !TensorInfo.IsValue(s) || s.Size != 1))
        {
            throw c.Error("only slices with step 1 have a gradient rule");
        }

        if (axes is null || !axes.All(TensorInfo.IsValue))
        {
            throw c.Error("slice axes must be constant");
        }

        var normal = axes.Select(a => ShapeInference.Normalize(a.Size, rank)).ToArray();
        string pads;
        if (starts is not null && ends is not null && starts.All(TensorInfo.IsValue) && ends.All(TensorInfo.IsValue) && normal.All(a => input.Shape![a].IsKnown))
        {
            var values = new long[2 * rank];
            for (var i = 0; i < normal.Length; i++)
            {
                var size = input.Shape![normal[i]].Size;
                var from = Math.Clamp(starts[i].Size < 0 ? starts[i].Size + size : starts[i].Size, 0, size);
                var to = Math.Clamp(ends[i].Size < 0 ? ends[i].Size + size : ends[i].Size, from, size);
                values[normal[i]] = from;
                values[rank + normal[i]] = size - to;
            }

            pads = e.Ints(values);
        }
        else
        {
            // At run time: sizes of the sliced axes, starts and ends made non-negative and clamped.
            var sizes = e.Node("Gather", [e.Shape(c.Input(0)), e.Ints(normal.Select(a => (long)a).ToArray())]);
            var zero = e.Ints(0);
            string Clamp(string index, string low) =>
                e.Node("Max", [low, e.Node("Min", [sizes, e.Where(e.Node("Less", [index, zero]), e.Add(index, sizes), index)])]);
            var from = Clamp(c.Input(1), e.Node("Expand", [zero, e.Shape(c.Input(1))]));
            var to = Clamp(c.Input(2), from);
            var axisIndices = e.Ints(normal.Select(a => (long)a).ToArray());
            var zeros = e.Ints(new long[rank]);
            var before = e.Node("ScatterElements", [zeros, axisIndices, from], OnnxAttributes.Int("axis", 0));
            var after = e.Node("ScatterElements", [zeros, axisIndices, e.Sub(sizes, to)], OnnxAttributes.Int("axis", 0));
            pads = e.Concat(0, before, after);
        }

        c.SetGradient(0, e.Node("Pad", [c.Gradient, pads]));
    }
}
