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
    /// (expert_tokens [E, C, H], slot_cells [T·k, 1], cell_slots [E·C, 1], slot_gates [T·k, 1]).
    /// The T·k token-slots (token-major: slot u = t·k + j is token t's j-th choice) are sorted by
    /// expert (stable), and expert e's tokens fill row e of a padded [E, C, H] buffer, C = the
    /// largest expert's token count (MegaBlocks' grouping, padded to the maximum): the experts then
    /// run as one batched MatMul. Padding cells are zeros. slot_cells[u] = the cell e · C + rank that
    /// slot u fills; cell_slots[c] = the slot filling cell c, or T·k for a padding cell.
    /// Rows move by one-to-one ScatterND writes, whose gradients are gathers: no adding scatter
    /// (slow on ORT's CPU, 23 % of flame-moe-38m's step) in forward or backward; each token's k
    /// copies are summed by a ReduceSum.
    /// </summary>
    public static FunctionProto SortedDispatch(int opset)
    {
        var f = new FunctionWriter("SortedDispatch", ["x", "topk_indices", "topk_weights"], ["expert_tokens", "slot_cells", "cell_slots", "slot_gates"], ["experts"], opset,
            "Dropless dispatch of all experts at once: token-slots sorted by expert into a padded [E, C, H] buffer.");
        var int64 = FunctionWriter.Int("to", (long)TensorProto.Types.DataType.Int64);
        var minusOne = f.ConstantInts(-1);
        var zero = f.ConstantInts(0);
        var one = f.ConstantInts(1);
        var experts = f.One("Reshape", [f.ConstantFromAttribute("experts"), one]);              // [E]
        var slotExpert = f.One("Reshape", ["topk_indices", minusOne]);                          // (Tk) token-major
        var slotCount = f.One("Shape", [slotExpert]);                                            // [Tk]
        var slots = f.One("Range", [f.One("Squeeze", [zero]), f.One("Squeeze", [slotCount]), f.One("Squeeze", [one])]);   // (Tk) 0..Tk-1
        // Sort by (expert, slot): unique int64 keys make the order stable.
        var key = f.One("Add", [f.One("Mul", [slotExpert, slotCount]), slots]);
        var order = f.Node("TopK", [key, slotCount], ["sorted_keys", "order"], FunctionWriter.Int("largest", 0), FunctionWriter.Int("sorted", 1))[1];
        var sortedExpert = f.One("Gather", [slotExpert, order]);                                 // (Tk)
        f.Into("slot_gates", "Reshape", ["topk_weights", f.ConstantInts(-1, 1)]);               // (Tk, 1) token-major
        // Tokens per expert, the largest count C, and each sorted slot's rank within its expert.
        var expertIds = f.One("Range", [f.One("Squeeze", [zero]), f.One("Squeeze", [experts]), f.One("Squeeze", [one])]);   // (E)
        var hits = f.One("Cast", [f.One("Equal", [f.One("Unsqueeze", [slotExpert, one]), expertIds])], int64);   // (Tk, E)
        var counts = f.One("ReduceSum", [hits, zero], FunctionWriter.Int("keepdims", 0));                      // (E)
        var capacity = f.Node("TopK", [counts, one], ["capacity", "busiest"])[0];                               // [C]
        var starts = f.One("Sub", [f.One("CumSum", [counts, f.One("Squeeze", [zero])]), counts]);               // (E)
        var rank = f.One("Sub", [slots, f.One("Gather", [starts, sortedExpert])]);                              // (Tk)
        var sortedCells = f.One("Add", [f.One("Mul", [sortedExpert, capacity]), rank]);                         // (Tk) cell of sorted slot p
        // Both directions of the slot ↔ cell map, as int64 scatters (no gradient flows through them).
        var cellOfSlot = f.One("ScatterElements", [f.One("Mul", [slots, f.ConstantInts(0)]), order, sortedCells]);   // (Tk) slot_cells[order[p]] = cell of p
        f.Into("slot_cells", "Unsqueeze", [cellOfSlot, one]);                                                   // (Tk, 1)
        var cells = f.One("Mul", [experts, capacity]);                                                          // [E·C]
        var cellSlots = f.One("ScatterElements", [f.One("Expand", [slotCount, cells]), sortedCells, order]);    // (E·C) T·k where padding
        f.Into("cell_slots", "Unsqueeze", [cellSlots, one]);                                                    // (E·C, 1)
        // Each token's row, once per choice (token-major), written one-to-one into its cell.
        var hidden = f.One("Slice", [f.One("Shape", ["x"]), one, f.ConstantInts(2)]);                           // [H]
        var k = f.One("Slice", [f.One("Shape", ["topk_indices"]), one, f.ConstantInts(2)]);                     // [k]
        var tokenCount = f.One("Slice", [f.One("Shape", ["x"]), zero, one]);                                    // [T]
        var copies = f.One("Expand", [f.One("Unsqueeze", ["x", one]), f.One("Concat", [tokenCount, k, hidden], FunctionWriter.Int("axis", 0))]);   // (T, k, H)
        var slotRows = f.One("Reshape", [copies, f.One("Concat", [minusOne, hidden], FunctionWriter.Int("axis", 0))]);   // (Tk, H)
        var empty = f.One("ConstantOfShape", [f.One("Concat", [cells, hidden], FunctionWriter.Int("axis", 0))]);     // (E·C, H) zeros
        var filled = f.One("ScatterND", [empty, "slot_cells", slotRows]);                                         // (E·C, H)
        f.Into("expert_tokens", "Reshape", [filled, f.One("Concat", [experts, capacity, hidden], FunctionWriter.Int("axis", 0))]);   // (E, C, H)
        return f.Build();
    }

    /// <summary>
    /// SortedCombine(expert_output [E, C, H], slot_cells [T·k, 1], cell_slots [E·C, 1], slot_gates [T·k, 1], x [T, H]) →
    /// y [T, H] = Σ over each token's k slots of gate · that slot's expert output row: the cells'
    /// rows are written one-to-one back to their slots (padding cells, all zero, to a spare row),
    /// weighted, and each token's k slots summed.
    /// </summary>
    public static FunctionProto SortedCombine(int opset)
    {
        var f = new FunctionWriter("SortedCombine", ["expert_output", "slot_cells", "cell_slots", "slot_gates", "x"], ["combined"], [], opset,
            "Adds every expert's weighted outputs back into the tokens' rows.");
        var one = f.ConstantInts(1);
        var hidden = f.One("Slice", [f.One("Shape", ["x"]), one, f.ConstantInts(2)]);
        var tokenCount = f.One("Slice", [f.One("Shape", ["x"]), f.ConstantInts(0), one]);
        var rows = f.One("Reshape", ["expert_output", f.One("Concat", [f.ConstantInts(-1), hidden], FunctionWriter.Int("axis", 0))]);   // (E·C, H)
        var slotCount = f.One("Slice", [f.One("Shape", ["slot_gates"]), f.ConstantInts(0), one]);              // [Tk]
        var spare = f.One("ConstantOfShape", [f.One("Concat", [f.One("Add", [slotCount, one]), hidden], FunctionWriter.Int("axis", 0))]);   // (Tk + 1, H)
        // Padding cells all write the spare row Tk; their rows are zero (an expert without biases maps 0 to 0).
        var bySlot = f.One("Slice", [f.One("ScatterND", [spare, "cell_slots", rows]), f.ConstantInts(0), slotCount]);   // (Tk, H) token-major
        var weighted = f.One("Mul", [bySlot, "slot_gates"]);
        var perToken = f.One("Reshape", [weighted, f.One("Concat", [tokenCount, f.ConstantInts(-1), hidden], FunctionWriter.Int("axis", 0))]);   // (T, k, H)
        f.Into("combined", "ReduceSum", [perToken, one], FunctionWriter.Int("keepdims", 0));
        return f.Build();
    }
}
