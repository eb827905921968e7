using Flame.Onnx.Proto;

namespace Flame.Autodiff;

/// <summary>
/// Activation checkpointing in the graph: the backward nodes that read a value of a chosen
/// forward node read a copy of that node instead, recomputed from the same inputs right
/// before its first backward use. The forward value then dies with its last forward consumer
/// instead of living until the backward pass reaches it: memory traded for a second forward
/// of the chosen nodes, with bit-identical results (the same ops on the same inputs).
/// Runtimes merge identical nodes (ORT's common-subexpression elimination would fold a copy
/// back into its original), so the head of each chain of copies reads its first input through
/// <c>Where(true, x, x)</c>, a node the forward graph does not have.
/// </summary>
internal static class Recomputation
{
    public const string Prefix = "recompute/";

    public static List<NodeProto> Rewrite(IReadOnlyList<NodeProto> forward, IReadOnlyList<NodeProto> backward, Func<NodeProto, bool> recompute)
    {
        var producers = new Dictionary<string, NodeProto>();
        foreach (var node in forward.Where(n => n.Input.Count > 0 && recompute(n)))   // a constant is kept: nothing to redo it from
        {
            foreach (var output in node.Output.Where(o => o.Length > 0))
            {
                producers[output] = node;
            }
        }

        var result = new List<NodeProto>();
        if (producers.Count == 0)
        {
            result.AddRange(backward);
            return result;
        }

        var copies = new Dictionary<string, string>();
        var detached = new Dictionary<string, string>();
        const string always = Prefix + "always";

        // A forward input of the recomputed chain, through a node that is not in the forward graph.
        string Detached(string value)
        {
            if (detached.TryGetValue(value, out var name))
            {
                return name;
            }

            if (detached.Count == 0)   // the first: the condition all of them share
            {
                var constant = new NodeProto { OpType = "Constant", Name = always };
                constant.Output.Add(always);
                constant.Attribute.Add(new AttributeProto
                {
                    Name = "value",
                    Type = AttributeProto.Types.AttributeType.Tensor,
                    T = new TensorProto { DataType = (int)TensorProto.Types.DataType.Bool, Int32Data = { 1 } },
                });
                result.Add(constant);
            }

            var where = new NodeProto { OpType = "Where", Name = Prefix + "input/" + value };
            where.Input.Add(always);
            where.Input.Add(value);
            where.Input.Add(value);
            where.Output.Add(Prefix + "input/" + value);
            result.Add(where);
            return detached[value] = where.Output[0];
        }

        string Recomputed(string value)
        {
            if (copies.TryGetValue(value, out var known))
            {
                return known;
            }

            var node = producers[value];
            var copy = node.Clone();
            copy.Name = Prefix + node.Name;
            var distinct = false;
            for (var i = 0; i < copy.Input.Count; i++)
            {
                if (producers.ContainsKey(copy.Input[i]))
                {
                    copy.Input[i] = Recomputed(copy.Input[i]);
                    distinct = true;
                }
            }

            if (!distinct)
            {
                copy.Input[0] = Detached(copy.Input[0]);   // the head of a chain: one input through Where is enough
            }

            for (var o = 0; o < copy.Output.Count; o++)
            {
                if (copy.Output[o].Length > 0)
                {
                    copies[node.Output[o]] = copy.Output[o] = Prefix + node.Output[o];
                }
            }

            result.Add(copy);
            return copies[value];
        }

        foreach (var node in backward)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (producers.ContainsKey(node.Input[i]))
                {
                    node.Input[i] = Recomputed(node.Input[i]);
                }
            }

            result.Add(node);
        }

        return result;
    }
}
