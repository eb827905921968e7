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
    /// SortedDispatch(x [T, H], topk_indices [T, k], topk_weights [T, k]; attributes experts = E,
    /// groups = G) → (expert_tokens [N, H], slot_cells [T·k, 1], cell_slots [N, 1], slot_gates [T·k, 1],
    /// expert_ranks [E, 1], group_cells [G]). The T·k token-slots (token-major: slot u = t·k + j is
    /// token t's j-th choice) are laid out by expert in a buffer of N cells. The experts are ranked
    /// by their token counts (expert_ranks[e]: 0 for the busiest, ties to the lower index; with one
    /// group they keep their index order, e) and cut into
    /// G groups of E/G; group g's experts each get C_g cells, C_g = the count of the group's busiest
    /// (at least 1), so group g is an [E/G, C_g, H] batch and the buffer holds them one after another
    /// (group_cells[g] = E/G · C_g cells, N = Σ group_cells). Padding to each group's largest count
    /// rather than to the largest of all (MegaBlocks pads to the maximum) keeps the padded rows
    /// near the routed T·k where the load is uneven: on flame-moe-38m at initialisation, 24,000
    /// cells padded to the busiest became about 8,000. Padding cells are zeros. slot_cells[u] = the
    /// cell slot u fills; cell_slots[c] = the slot filling cell c, or T·k for a padding cell.
    /// Rows move by one-to-one ScatterND writes, whose gradients are gathers: no adding scatter
    /// (slow on ORT's CPU) in forward or backward; each token's k copies are summed by a ReduceSum.
    /// </summary>
    public static FunctionProto SortedDispatch(int opset)
    {
        var f = new FunctionWriter("SortedDispatch", ["x", "topk_indices", "topk_weights"], ["expert_tokens", "slot_cells", "cell_slots", "slot_gates", "expert_ranks", "group_cells"], ["experts", "groups"], opset,
            "Dropless dispatch of all experts at once: token-slots laid out by expert, in groups of experts of similar load each padded to its busiest.");
        var int64 = FunctionWriter.Int("to", (long)TensorProto.Types.DataType.Int64);
        var minusOne = f.ConstantInts(-1);
        var zero = f.ConstantInts(0);
        var one = f.ConstantInts(1);
        var experts = f.One("Reshape", [f.ConstantFromAttribute("experts"), one]);              // [E]
        var groups = f.One("Reshape", [f.ConstantFromAttribute("groups"), one]);                // [G]
        var perGroup = f.One("Div", [experts, groups]);                                          // [E/G]
        var slotExpert = f.One("Reshape", ["topk_indices", minusOne]);                          // (Tk) token-major
        var slotCount = f.One("Shape", [slotExpert]);                                            // [Tk]
        var slots = f.One("Range", [f.One("Squeeze", [zero]), f.One("Squeeze", [slotCount]), f.One("Squeeze", [one])]);   // (Tk) 0..Tk-1
        // Sort by (expert, slot): unique int64 keys make the order stable.
        var key = f.One("Add", [f.One("Mul", [slotExpert, slotCount]), slots]);
        var order = f.Node("TopK", [key, slotCount], ["sorted_keys", "order"], FunctionWriter.Int("largest", 0), FunctionWriter.Int("sorted", 1))[1];
        var sortedExpert = f.One("Gather", [slotExpert, order]);                                 // (Tk)
        f.Into("slot_gates", "Reshape", ["topk_weights", f.ConstantInts(-1, 1)]);               // (Tk, 1) token-major
        // Tokens per expert, and each sorted slot's rank within its expert.
        var expertIds = f.One("Range", [f.One("Squeeze", [zero]), f.One("Squeeze", [experts]), f.One("Squeeze", [one])]);   // (E)
        var hits = f.One("Cast", [f.One("Equal", [f.One("Unsqueeze", [slotExpert, one]), expertIds])], int64);   // (Tk, E)
        var counts = f.One("ReduceSum", [hits, zero], FunctionWriter.Int("keepdims", 0));                      // (E)
        var starts = f.One("Sub", [f.One("CumSum", [counts, f.One("Squeeze", [zero])]), counts]);               // (E)
        var rank = f.One("Sub", [slots, f.One("Gather", [starts, sortedExpert])]);                              // (Tk)
        // The experts by load, cut into G groups; each group's capacity is its busiest expert's count.
        var byLoad = f.Node("TopK", [counts, experts], ["sorted_counts", "expert_order"], FunctionWriter.Int("largest", 1), FunctionWriter.Int("sorted", 1));
        var byLoadRank = f.One("ScatterElements", [f.One("Mul", [counts, zero]), byLoad[1], expertIds]);       // (E) rank of expert e by load
        var loadRank = f.One("Where", [f.One("Equal", [groups, one]), expertIds, byLoadRank]);                  // one group: index order, no reordering
        f.Into("expert_ranks", "Unsqueeze", [loadRank, one]);                                                   // (E, 1)
        var group = f.One("Div", [loadRank, perGroup]);                                                         // (E)
        var position = f.One("Sub", [loadRank, f.One("Mul", [group, perGroup])]);                               // (E) within its group
        var capacity = f.One("Max", [f.One("Slice", [byLoad[0], zero, experts, zero, perGroup]), one]);         // (G) ≥ 1: no empty batch
        f.Into("group_cells", "Mul", [capacity, perGroup]);                                                     // (G)
        var groupStart = f.One("Sub", [f.One("CumSum", ["group_cells", f.One("Squeeze", [zero])]), "group_cells"]);   // (G)
        var expertStart = f.One("Add", [f.One("Gather", [groupStart, group]), f.One("Mul", [position, f.One("Gather", [capacity, group])])]);   // (E) first cell
        var sortedCells = f.One("Add", [f.One("Gather", [expertStart, sortedExpert]), rank]);                   // (Tk) cell of sorted slot p
        // Both directions of the slot ↔ cell map, as int64 scatters (no gradient flows through them).
        var cellOfSlot = f.One("ScatterElements", [f.One("Mul", [slots, zero]), order, sortedCells]);           // (Tk) slot_cells[order[p]] = cell of p
        f.Into("slot_cells", "Unsqueeze", [cellOfSlot, one]);                                                   // (Tk, 1)
        var cells = f.One("ReduceSum", ["group_cells", zero], FunctionWriter.Int("keepdims", 1));               // [N]
        var cellSlots = f.One("ScatterElements", [f.One("Expand", [slotCount, cells]), sortedCells, order]);    // (N) T·k where padding
        f.Into("cell_slots", "Unsqueeze", [cellSlots, one]);                                                    // (N, 1)
        // Each token's row, once per choice (token-major), written one-to-one into its cell.
        var hidden = f.One("Slice", [f.One("Shape", ["x"]), one, f.ConstantInts(2)]);                           // [H]
        var k = f.One("Slice", [f.One("Shape", ["topk_indices"]), one, f.ConstantInts(2)]);                     // [k]
        var tokenCount = f.One("Slice", [f.One("Shape", ["x"]), zero, one]);                                    // [T]
        var copies = f.One("Expand", [f.One("Unsqueeze", ["x", one]), f.One("Concat", [tokenCount, k, hidden], FunctionWriter.Int("axis", 0))]);   // (T, k, H)
        var slotRows = f.One("Reshape", [copies, f.One("Concat", [minusOne, hidden], FunctionWriter.Int("axis", 0))]);   // (Tk, H)
        var empty = f.One("ConstantOfShape", [f.One("Concat", [cells, hidden], FunctionWriter.Int("axis", 0))]);     // (N, H) zeros
        f.Into("expert_tokens", "ScatterND", [empty, "slot_cells", slotRows]);                                   // (N, H)
        return f.Build();
    }

    /// <summary>
    /// SortedCombine(expert_output [N, H], slot_cells [T·k, 1], cell_slots [N, 1], slot_gates [T·k, 1], x [T, H]) →
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
        var rows = f.One("Reshape", ["expert_output", f.One("Concat", [f.ConstantInts(-1), hidden], FunctionWriter.Int("axis", 0))]);   // (N, H)
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
