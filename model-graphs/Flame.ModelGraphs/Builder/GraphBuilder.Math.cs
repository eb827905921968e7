using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.ModelGraphs.Builder;

/// <summary>Arithmetic, matrix products and activations.</summary>
public sealed partial class GraphBuilder
{
    public Value Add(Value a, Value b) => Binary("Add", a, b);

    public Value Sub(Value a, Value b) => Binary("Sub", a, b);

    public Value Mul(Value a, Value b) => Binary("Mul", a, b);

    public Value Div(Value a, Value b) => Binary("Div", a, b);

    public Value Pow(Value a, Value b) => Binary("Pow", a, b);

    public Value Min(Value a, Value b) => Binary("Min", a, b);

    public Value Ceil(Value x) => Unary("Ceil", x);

    public Value Equal(Value a, Value b) => Binary("Equal", a, b, DataType.Bool);

    public Value Greater(Value a, Value b) => Binary("Greater", a, b, DataType.Bool);

    public Value Where(Value condition, Value a, Value b)
    {
        var shape = Shapes.Broadcast("Where", Shapes.Broadcast("Where", condition.Shape, a.Shape), b.Shape);
        return Emit("Where", [condition, a, b], null, a.Type, shape);
    }

    public Value Sqrt(Value x) => Unary("Sqrt", x);

    public Value Neg(Value x) => Unary("Neg", x);

    public Value Sigmoid(Value x) => Unary("Sigmoid", x);

    public Value Exp(Value x) => Unary("Exp", x);

    public Value Log(Value x) => Unary("Log", x);

    /// <summary>silu(x) = x · sigmoid(x).</summary>
    public Value Silu(Value x) => Mul(x, Sigmoid(x));

    public Value Softmax(Value x, int axis = -1) => Emit("Softmax", [x], null, x.Type, x.Shape, Int("axis", axis));

    public Value LogSoftmax(Value x, int axis = -1) => Emit("LogSoftmax", [x], null, x.Type, x.Shape, Int("axis", axis));

    /// <summary>numpy matmul: batch dimensions broadcast, inner dimensions must agree.</summary>
    public Value MatMul(Value a, Value b)
    {
        if (a.Rank < 2 || b.Rank < 2)
        {
            throw new ShapeError($"MatMul needs rank ≥ 2 operands: {a} @ {b}");
        }

        if (a[-1].IsKnown && b[-2].IsKnown && a[-1].Size != b[-2].Size)
        {
            throw new ShapeError($"MatMul inner dimensions differ: {a} @ {b}");
        }

        var batch = Shapes.Broadcast("MatMul", a.Shape[..^2], b.Shape[..^2]);
        return Emit("MatMul", [a, b], null, a.Type, [.. batch, a[-2], b[-1]]);
    }

    public Value Cast(Value x, DataType to) => Emit("Cast", [x], null, to, x.Shape, Int("to", (long)to));

    private Value Unary(string op, Value x) => Emit(op, [x], null, x.Type, x.Shape);

    private Value Binary(string op, Value a, Value b, DataType? resultType = null)
    {
        if (a.Type != b.Type)
        {
            throw new ShapeError($"{op} needs operands of one type: {a} and {b}");
        }

        return Emit(op, [a, b], null, resultType ?? a.Type, Shapes.Broadcast(op, a.Shape, b.Shape));
    }
}
