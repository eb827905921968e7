using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Functions;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.ModelGraphs.Moe;

/// <summary>
/// Dropless dispatch and combine, one expert at a time (Megatron's SequentialMLP): each expert
/// gathers exactly the tokens that chose it, so compute scales with k, not with the number of
/// experts. Both steps are ai.flame functions (DispatchExpert, CombineExpert).
/// </summary>
public static class TokenDispatcher
{
    public sealed record Dispatched(Value Tokens, Value Rows, Value Gates);

    /// <summary>The tokens routed to <paramref name="expert"/>: (n, H), their rows (n, 1), their combine weights (n, 1).</summary>
    public static Dispatched Dispatch(GraphBuilder g, Value x, Router.Routing routing, int expert)
    {
        var n = Dim.Sym($"tokens_for_expert_{expert}");
        var outputs = g.Call(FlameFunctions.DispatchExpert(g.Opset), [x, routing.Indices, routing.Weights, g.Constant((long)expert)],
            [(DataType.Float, [n, x[1]]), (DataType.Int64, [n, 1]), (DataType.Float, [n, 1])]);
        return new Dispatched(outputs[0], outputs[1], outputs[2]);
    }

    /// <summary>
    /// Capacity mode: keeps the first <paramref name="capacity"/> (int64 [1]) of an expert's
    /// tokens in token order (GShard's "first come, first served"); the rest are dropped and
    /// only the shared expert and the residual path carry them.
    /// </summary>
    public static (Dispatched Kept, Value Dropped) Truncate(GraphBuilder g, Dispatched dispatched, Value capacity, int expert)
    {
        var routed = g.DimOf(dispatched.Rows, 0);                                      // [n_e]
        var kept = g.Min(routed, capacity);                                            // [min(n_e, C)]
        var n = Dim.Sym($"kept_for_expert_{expert}");
        return (new Dispatched(g.SliceTo(dispatched.Tokens, 0, kept, n), g.SliceTo(dispatched.Rows, 0, kept, n), g.SliceTo(dispatched.Gates, 0, kept, n)),
            g.Sub(routed, kept));                                                       // [dropped]
    }

    /// <summary>
    /// Every expert's weighted outputs added into the tokens' rows in one scatter: the experts'
    /// rows, outputs and gates are concatenated first (Σ n_e = T k rows), which keeps the graph
    /// short (no chain of E scatters) and runs one ScatterND instead of E.
    /// </summary>
    public static Value CombineAll(GraphBuilder g, Value accumulator, IReadOnlyList<(Dispatched Dispatched, Value Output)> experts) =>
        Combine(g, accumulator,
            new Dispatched(default!, g.Concat(0, experts.Select(e => e.Dispatched.Rows).ToArray()), g.Concat(0, experts.Select(e => e.Dispatched.Gates).ToArray())),
            g.Concat(0, experts.Select(e => e.Output).ToArray()));

    /// <summary>accumulator + gates · expert_output, scattered back into the tokens' rows.</summary>
    public static Value Combine(GraphBuilder g, Value accumulator, Dispatched dispatched, Value expertOutput) =>
        g.Call(FlameFunctions.CombineExpert(g.Opset), [accumulator, dispatched.Rows, expertOutput, dispatched.Gates],
            [(DataType.Float, accumulator.Shape)])[0];

    /// <summary>
    /// All experts' tokens at once, laid out by expert (the ai.flame SortedDispatch function):
    /// ExpertTokens (N, H) holds G batches one after another, batch g = the g-th E/G experts by
    /// load (ExpertRanks (E, 1): each expert's place in that order), (E/G, C_g, H) with
    /// GroupCells[g] = E/G · C_g.
    /// </summary>
    public sealed record SortedBatch(Value ExpertTokens, Value SlotCells, Value CellSlots, Value SlotGates, Value ExpertRanks, Value GroupCells, int Groups);

    /// <param name="groups">G (dividing E): 1 pads every expert to the busiest and keeps them in index order.</param>
    public static SortedBatch DispatchSorted(GraphBuilder g, Value x, Router.Routing routing, int experts, int groups)
    {
        Dim cells = Dim.Sym("expert_cells"), slots = Dim.Sym("token_slots");
        var outputs = g.Call(FlameFunctions.SortedDispatch(g.Opset), [x, routing.Indices, routing.Weights],
            [(DataType.Float, [cells, x[1]]), (DataType.Int64, [slots, 1]), (DataType.Int64, [cells, 1]), (DataType.Float, [slots, 1]), (DataType.Int64, [experts, 1]), (DataType.Int64, [groups])],
            Functions.FunctionWriter.Int("experts", experts), Functions.FunctionWriter.Int("groups", groups));
        return new SortedBatch(outputs[0], outputs[1], outputs[2], outputs[3], outputs[4], outputs[5], groups);
    }

    /// <summary>
    /// How many groups of similar load the experts are padded in: up to 8, of at least 2 experts
    /// each. More groups pad less but make more, smaller matrix multiplies; 8 of 8 on FLAME-MoE's
    /// 64 experts left a third of flame-moe-38m's padded rows at initialisation.
    /// </summary>
    public static int GroupsOf(int experts) => Enumerable.Range(1, 8).Reverse().First(n => experts % n == 0 && (experts / n >= 2 || n == 1));

    /// <summary>The experts' outputs (N, H), cell by cell, weighted and added back into the tokens' rows (T, H).</summary>
    public static Value CombineSorted(GraphBuilder g, SortedBatch batch, Value expertOutput, Value x) =>
        g.Call(FlameFunctions.SortedCombine(g.Opset), [expertOutput, batch.SlotCells, batch.CellSlots, batch.SlotGates, x],
            [(DataType.Float, x.Shape)])[0];
}
