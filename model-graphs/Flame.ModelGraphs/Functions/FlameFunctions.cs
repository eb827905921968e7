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
        var weighted = f.One("Mul", ["expert_output", "gates"]);                                          // (n, H)
        // ScatterElements, not ScatterND: ORT's CPU ScatterND adds from several threads unsynchronised (see IndexingRules).
        f.Into("combined", "ScatterElements", ["accumulator", f.One("Expand", ["token_rows", f.One("Shape", [weighted])]), weighted],
            FunctionWriter.Int("axis", 0), FunctionWriter.String("reduction", "add"));
        return f.Build();
    }

    /// <summary>
    /// SortedDispatch(x [T, H], topk_indices [T, k], topk_weights [T, k]; attribute experts = E) →
    /// (expert_tokens [E, C, H], slot_positions [T·k], slot_tokens [T·k, 1], slot_gates [T·k, 1]).
    /// The T·k token-slots are sorted by expert (stable), and expert e's tokens fill row e of a
    /// padded [E, C, H] buffer, C = the largest expert's token count (MegaBlocks' grouping,
    /// padded to the maximum): the experts then run as one batched MatMul. Padding rows read a
    /// zero row. slot_positions[s] = e · C + rank of slot s within expert e, in sorted order.
    /// </summary>
    public static FunctionProto SortedDispatch(int opset)
    {
        var f = new FunctionWriter("SortedDispatch", ["x", "topk_indices", "topk_weights"], ["expert_tokens", "slot_positions", "slot_tokens", "slot_gates"], ["experts"], opset,
            "Dropless dispatch of all experts at once: token-slots sorted by expert into a padded [E, C, H] buffer.");
        var int64 = FunctionWriter.Int("to", (long)TensorProto.Types.DataType.Int64);
        var minusOne = f.ConstantInts(-1);
        var zero = f.ConstantInts(0);
        var one = f.ConstantInts(1);
        var experts = f.One("Reshape", [f.ConstantFromAttribute("experts"), one]);              // [E]
        var slotExpert = f.One("Reshape", ["topk_indices", minusOne]);                          // (Tk)
        var slotCount = f.One("Shape", [slotExpert]);                                            // [Tk]
        var k = f.One("Slice", [f.One("Shape", ["topk_indices"]), one, f.ConstantInts(2)]);      // [k]
        var slots = f.One("Range", [f.One("Squeeze", [zero]), f.One("Squeeze", [slotCount]), f.One("Squeeze", [one])]);   // (Tk) 0..Tk-1
        // Sort by (expert, slot): unique int64 keys make the order stable.
        var key = f.One("Add", [f.One("Mul", [slotExpert, slotCount]), slots]);
        var order = f.Node("TopK", [key, slotCount], ["sorted_keys", "order"], FunctionWriter.Int("largest", 0), FunctionWriter.Int("sorted", 1))[1];
        var sortedExpert = f.One("Gather", [slotExpert, order]);                                 // (Tk)
        var sortedToken = f.One("Div", [order, k]);                                              // (Tk) the slot's token
        f.Into("slot_tokens", "Unsqueeze", [sortedToken, one]);                                  // (Tk, 1)
        f.Into("slot_gates", "Gather", [f.One("Reshape", ["topk_weights", f.ConstantInts(-1, 1)]), order]);   // (Tk, 1)
        // Tokens per expert, the largest count C, and each sorted slot's rank within its expert.
        var expertIds = f.One("Range", [f.One("Squeeze", [zero]), f.One("Squeeze", [experts]), f.One("Squeeze", [one])]);   // (E)
        var hits = f.One("Cast", [f.One("Equal", [f.One("Unsqueeze", [slotExpert, one]), expertIds])], int64);   // (Tk, E)
        var counts = f.One("ReduceSum", [hits, zero], FunctionWriter.Int("keepdims", 0));                      // (E)
        var capacity = f.Node("TopK", [counts, one], ["capacity", "busiest"])[0];                               // [C]
        var starts = f.One("Sub", [f.One("CumSum", [counts, f.One("Squeeze", [zero])]), counts]);               // (E)
        var rank = f.One("Sub", [slots, f.One("Gather", [starts, sortedExpert])]);                              // (Tk)
        f.Into("slot_positions", "Add", [f.One("Mul", [sortedExpert, capacity]), rank]);                        // (Tk)
        // Padded token table: every cell reads row T (a zero row) unless a slot fills it.
        var tokenCount = f.One("Slice", [f.One("Shape", ["x"]), zero, one]);                                    // [T]
        var cells = f.One("Mul", [experts, capacity]);                                                          // [E·C]
        var table = f.One("Expand", [tokenCount, cells]);                                                       // (E·C) filled with T
        table = f.One("ScatterElements", [table, "slot_positions", sortedToken]);
        var hidden = f.One("Slice", [f.One("Shape", ["x"]), one, f.ConstantInts(2)]);                           // [H]
        var padded = f.One("Concat", ["x", f.One("Expand", [f.ConstantFloat(0), f.One("Concat", [one, hidden], FunctionWriter.Int("axis", 0))])], FunctionWriter.Int("axis", 0));   // (T+1, H)
        f.Into("expert_tokens", "Reshape", [f.One("Gather", [padded, table]), f.One("Concat", [experts, capacity, hidden], FunctionWriter.Int("axis", 0))]);   // (E, C, H)
        return f.Build();
    }

    /// <summary>
    /// SortedCombine(expert_output [E, C, H], slot_positions [T·k], slot_tokens [T·k, 1], slot_gates [T·k, 1], x [T, H]) →
    /// y [T, H] = Σ over each token's slots of gate · that expert's output row (one scatter).
    /// </summary>
    public static FunctionProto SortedCombine(int opset)
    {
        var f = new FunctionWriter("SortedCombine", ["expert_output", "slot_positions", "slot_tokens", "slot_gates", "x"], ["combined"], [], opset,
            "Adds every expert's weighted outputs back into the tokens' rows in one scatter.");
        var hidden = f.One("Slice", [f.One("Shape", ["x"]), f.ConstantInts(1), f.ConstantInts(2)]);
        var rows = f.One("Reshape", ["expert_output", f.One("Concat", [f.ConstantInts(-1), hidden], FunctionWriter.Int("axis", 0))]);   // (E·C, H)
        var slotOutputs = f.One("Mul", [f.One("Gather", [rows, "slot_positions"]), "slot_gates"]);                 // (Tk, H)
        var zeros = f.One("ConstantOfShape", [f.One("Shape", ["x"])]);                                        // float zeros (T, H)
        // Each token's k slots add into its row: ScatterElements, which ORT adds deterministically (its CPU ScatterND races).
        f.Into("combined", "ScatterElements", [zeros, f.One("Expand", ["slot_tokens", f.One("Shape", [slotOutputs])]), slotOutputs],
            FunctionWriter.Int("axis", 0), FunctionWriter.String("reduction", "add"));
        return f.Build();
    }
}
