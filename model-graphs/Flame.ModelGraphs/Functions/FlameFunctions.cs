using Flame.Onnx.Proto;

namespace Flame.ModelGraphs.Functions;

/// <summary>
/// The operators of our domain <c>ai.flame</c>, as ONNX model-local functions whose bodies use
/// only standard ops, so any ONNX runtime runs our models (docs/operators.md has the contracts).
/// </summary>
public static class FlameFunctions
{
    /// <summary>
    /// TopKRouter(x [T, H], router_weight [H, E]; attribute k) →
    /// (router_logits [T, E], topk_weights [T, k], topk_indices [T, k]).
    /// logits = x W in fp32; probs = softmax over all E experts; the k largest probs (sorted
    /// descending, ties to the lower index) are the combine weights, not renormalised.
    /// </summary>
    /// <summary>The k attribute of a TopKRouter call.</summary>
    public static AttributeProto TopKAttribute(int k) => FunctionWriter.Int("k", k);

    public static FunctionProto TopKRouter(int opset)
    {
        var f = new FunctionWriter("TopKRouter", ["x", "router_weight"], ["router_logits", "topk_weights", "topk_indices"], ["k"], opset,
            "FLAME-MoE router: softmax over all experts in fp32, top-k probabilities as combine weights without renormalisation.");
        var x = f.One("Cast", ["x"], FunctionWriter.Int("to", (long)TensorProto.Types.DataType.Float));
        f.Into("router_logits", "MatMul", [x, "router_weight"]);
        var probs = f.One("Softmax", ["router_logits"], FunctionWriter.Int("axis", -1));
        var k = f.One("Reshape", [f.ConstantFromAttribute("k"), f.ConstantInts(1)]);
        f.Node("TopK", [probs, k], ["topk_weights", "topk_indices"], FunctionWriter.Int("axis", -1), FunctionWriter.Int("largest", 1), FunctionWriter.Int("sorted", 1));
        return f.Build();
    }

    /// <summary>
    /// DispatchExpert(x [T, H], topk_indices [T, k], topk_weights [T, k], expert (int64 scalar)) →
    /// (expert_tokens [n, H], token_rows [n, 1], gates [n, 1]): the n tokens routed to the
    /// expert (dropless: all of them), their rows in x, and their combine weight for it.
    /// </summary>
    public static FunctionProto DispatchExpert(int opset)
    {
        var f = new FunctionWriter("DispatchExpert", ["x", "topk_indices", "topk_weights", "expert"], ["expert_tokens", "token_rows", "gates"], [], opset,
            "Dropless token dispatch to one expert: gathers exactly the tokens that chose it.");
        var hit = f.One("Cast", [f.One("Equal", ["topk_indices", "expert"])], FunctionWriter.Int("to", (long)TensorProto.Types.DataType.Float));
        var axis1 = f.ConstantInts(1);
        var gateAll = f.One("ReduceSum", [f.One("Mul", ["topk_weights", hit]), axis1], FunctionWriter.Int("keepdims", 1));
        var routed = f.One("Greater", [f.One("ReduceSum", [hit, axis1], FunctionWriter.Int("keepdims", 0)), f.ConstantFloat(0)]);
        f.Into("token_rows", "Transpose", [f.One("NonZero", [routed])], FunctionWriter.Ints("perm", 1, 0));
        f.Into("expert_tokens", "GatherND", ["x", "token_rows"]);
        f.Into("gates", "GatherND", [gateAll, "token_rows"]);
        return f.Build();
    }

    /// <summary>
    /// CombineExpert(accumulator [T, H], token_rows [n, 1], expert_output [n, H], gates [n, 1]) →
    /// accumulator + scatter of gates · expert_output into the tokens' rows.
    /// </summary>
    public static FunctionProto CombineExpert(int opset)
    {
        var f = new FunctionWriter("CombineExpert", ["accumulator", "token_rows", "expert_output", "gates"], ["combined"], [], opset,
            "Adds one expert's weighted outputs back into the rows of the tokens it served.");
        f.Into("combined", "ScatterND", ["accumulator", "token_rows", f.One("Mul", ["expert_output", "gates"])], FunctionWriter.String("reduction", "add"));
        return f.Build();
    }
}
