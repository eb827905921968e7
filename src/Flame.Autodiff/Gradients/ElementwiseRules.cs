using Flame.Autodiff.Graph;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Autodiff.Gradients;

/// <summary>Gradients of elementwise ops (with numpy broadcasting, summed back to each operand's shape).</summary>
internal static class ElementwiseRules
{
    public static void Register(Dictionary<string, Action<GradientContext>> rules)
    {
        rules["Add"] = Add;
        rules["Sum"] = Add;
        rules["Sub"] = Sub;
        rules["Mul"] = Mul;
        rules["Div"] = Div;
        rules["Pow"] = Pow;
        rules["Min"] = MinMax;
        rules["Max"] = MinMax;
        rules["Where"] = Where;
        rules["Identity"] = c => c.SetGradient(0, c.Gradient);
        rules["Neg"] = c => c.SetGradient(0, c.Emit.Neg(c.Gradient));
        rules["Exp"] = c => c.SetGradient(0, c.Emit.Mul(c.Gradient, c.Output(0)));                                 // y
        rules["Log"] = c => c.SetGradient(0, c.Emit.Div(c.Gradient, c.Input(0)));                                  // 1/x
        rules["Sqrt"] = c => c.SetGradient(0, c.Emit.Div(c.Emit.Mul(c.Gradient, Half(c)), c.Output(0)));           // 1/(2y)
        rules["Reciprocal"] = c => c.SetGradient(0, c.Emit.Neg(c.Emit.Mul(c.Gradient, c.Emit.Mul(c.Output(0), c.Output(0)))));   // −y²
        rules["Sigmoid"] = c => c.SetGradient(0, c.Emit.Mul(c.Gradient, c.Emit.Mul(c.Output(0), c.Emit.Sub(One(c), c.Output(0)))));   // y(1−y)
        rules["Tanh"] = c => c.SetGradient(0, c.Emit.Mul(c.Gradient, c.Emit.Sub(One(c), c.Emit.Mul(c.Output(0), c.Output(0)))));     // 1−y²
        rules["Relu"] = c => c.SetGradient(0, c.Emit.Mul(c.Gradient, c.Emit.Cast(c.Emit.Node("Greater", [c.Input(0), c.Emit.Scalar(0, Type(c))]), Type(c))));
        rules["Abs"] = c => c.SetGradient(0, c.Emit.Mul(c.Gradient, c.Emit.Node("Sign", [c.Input(0)])));
        rules["Cast"] = Cast;
    }

    private static DataType Type(GradientContext c) => c.OutputInfo(0).Type;

    private static string One(GradientContext c) => c.Emit.Scalar(1, Type(c));

    private static string Half(GradientContext c) => c.Emit.Scalar(0.5, Type(c));

    private static void Add(GradientContext c)
    {
        for (var i = 0; i < c.Node.Input.Count; i++)
        {
            if (c.Needs(i))
            {
                c.SetGradient(i, c.Unbroadcast(c.Gradient, i));
            }
        }
    }

    private static void Sub(GradientContext c)
    {
        if (c.Needs(0))
        {
            c.SetGradient(0, c.Unbroadcast(c.Gradient, 0));
        }

        if (c.Needs(1))
        {
            c.SetGradient(1, c.Unbroadcast(c.Emit.Neg(c.Gradient), 1));
        }
    }

    private static void Mul(GradientContext c)
    {
        if (c.Needs(0))
        {
            c.SetGradient(0, c.Unbroadcast(c.Emit.Mul(c.Gradient, c.Input(1)), 0));
        }

        if (c.Needs(1))
        {
            c.SetGradient(1, c.Unbroadcast(c.Emit.Mul(c.Gradient, c.Input(0)), 1));
        }
    }

    // y = a / b: da = g / b, db = −g y / b.
    private static void Div(GradientContext c)
    {
        var scaled = c.Emit.Div(c.Gradient, c.Input(1));
        if (c.Needs(0))
        {
            c.SetGradient(0, c.Unbroadcast(scaled, 0));
        }

        if (c.Needs(1))
        {
            c.SetGradient(1, c.Unbroadcast(c.Emit.Neg(c.Emit.Mul(scaled, c.Output(0))), 1));
        }
    }

    // y = a^b: da = g b a^(b−1), db = g y ln a.
    private static void Pow(GradientContext c)
    {
        if (c.InputInfo(1).Type != Type(c) && c.Needs(1))
        {
            throw c.Error("an integer exponent has no gradient");
        }

        if (c.Needs(0))
        {
            var exponent = c.InputInfo(1).Type == Type(c) ? c.Input(1) : c.Emit.Cast(c.Input(1), Type(c));
            var power = c.Emit.Node("Pow", [c.Input(0), c.Emit.Sub(exponent, One(c))]);
            c.SetGradient(0, c.Unbroadcast(c.Emit.Mul(c.Gradient, c.Emit.Mul(exponent, power)), 0));
        }

        if (c.Needs(1))
        {
            c.SetGradient(1, c.Unbroadcast(c.Emit.Mul(c.Gradient, c.Emit.Mul(c.Output(0), c.Emit.Node("Log", [c.Input(0)]))), 1));
        }
    }

    // The gradient goes to the operand(s) equal to the result (to every one on a tie, like Reduce*).
    private static void MinMax(GradientContext c)
    {
        for (var i = 0; i < c.Node.Input.Count; i++)
        {
            if (c.Needs(i))
            {
                var chosen = c.Emit.Cast(c.Emit.Node("Equal", [c.Input(i), c.Output(0)]), Type(c));
                c.SetGradient(i, c.Unbroadcast(c.Emit.Mul(c.Gradient, chosen), i));
            }
        }
    }

    private static void Where(GradientContext c)
    {
        var zero = c.Emit.Scalar(0, Type(c));
        if (c.Needs(1))
        {
            c.SetGradient(1, c.Unbroadcast(c.Emit.Where(c.Input(0), c.Gradient, zero), 1));
        }

        if (c.Needs(2))
        {
            c.SetGradient(2, c.Unbroadcast(c.Emit.Where(c.Input(0), zero, c.Gradient), 2));
        }
    }

    // A cast between floating-point types passes the gradient back in the input's type.
    private static void Cast(GradientContext c)
    {
        if (c.InputInfo(0).IsFloatingPoint && c.OutputInfo(0).IsFloatingPoint)
        {
            c.SetGradient(0, c.InputInfo(0).Type == Type(c) ? c.Gradient : c.Emit.Cast(c.Gradient, c.InputInfo(0).Type));
        }
    }
}
