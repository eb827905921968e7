using Flame.Onnx.Models;
using Flame.Onnx.Proto;

namespace Flame.Autodiff;

/// <summary>
/// The backward graph of one stage of a model cut into stages: given the gradients of its
/// outputs (ȳ, graph inputs), it computes ȳᵀ ∂y/∂x for the requested inputs x. Built as the
/// gradient of the scalar Σ_y sum(y ⊙ ȳ), so every rule of the <see cref="Differentiator"/>
/// serves; the forward part is recomputed inside (activation recomputation at stage boundaries).
/// The forward outputs are dropped: the graph's outputs are the requested gradients only.
/// </summary>
public static class VectorJacobianProduct
{
    private const string Product = "vector_jacobian_product";

    public static ModelProto Build(ModelProto forward, IReadOnlyList<SeededOutput> outputs, IReadOnlyList<string> wrt, Func<string, string> gradientName)
    {
        var model = Flame.Onnx.Transforms.FunctionInliner.Inline(forward);
        var graph = model.Graph;
        var declared = graph.Output.Select(o => o.Name).ToHashSet();
        var infos = Shapes.ShapeInference.Infer(graph);   // a seed has its output's shape, symbols included
        string? total = null;
        foreach (var output in outputs)
        {
            if (!declared.Contains(output.Name))
            {
                throw new AutodiffException($"'{output.Name}' is not an output of graph '{graph.Name}'");
            }

            var seed = output.Seed(0);
            for (var k = 0; k < output.Seeds; k++)
            {
                graph.Input.Add(Differentiator.ValueInfo(output.Seed(k), infos[output.Name]));
                if (k > 0)
                {
                    seed = Emit(graph, "Add", [seed, output.Seed(k)], $"{output.Name}.grad.sum{k}");
                }
            }

            var product = Emit(graph, "Mul", [output.Name, seed], $"{output.Name}.grad.product");
            var sum = Emit(graph, "ReduceSum", [product], $"{output.Name}.grad.dot", OnnxAttributes.Int("keepdims", 0));
            total = total is null ? sum : Emit(graph, "Add", [total, sum], $"{output.Name}.grad.total");
        }

        if (total is null)
        {
            throw new AutodiffException($"graph '{graph.Name}': no output to seed");
        }

        Emit(graph, "Identity", [total], Product);
        graph.Output.Clear();
        return Differentiator.Differentiate(model, new GradientRequest(Product, wrt) { GradientName = gradientName });
    }

    private static string Emit(GraphProto graph, string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = "vjp/" + output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return output;
    }
}
