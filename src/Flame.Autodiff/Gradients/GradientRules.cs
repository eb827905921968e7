namespace Flame.Autodiff.Gradients;

/// <summary>The gradient rule of every op the autodiff knows, and the ops through which no gradient flows.</summary>
public static class GradientRules
{
    private static readonly Dictionary<string, Action<GradientContext>> Rules = Build();

    /// <summary>Ops whose outputs are piecewise constant in their inputs, or indices/shapes: zero gradient.</summary>
    private static readonly HashSet<string> NoGradient =
    [
        "Shape", "Size", "NonZero", "Range", "ConstantOfShape", "Constant", "ArgMax", "ArgMin", "Ceil", "Floor", "Round", "Sign",
        "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf", "EyeLike",
    ];

    public static IReadOnlyCollection<string> Differentiable => Rules.Keys;

    public static bool HasNoGradient(string op) => NoGradient.Contains(op);

    public static bool TryGet(string op, out Action<GradientContext> rule) => Rules.TryGetValue(op, out rule!);

    private static Dictionary<string, Action<GradientContext>> Build()
    {
        var rules = new Dictionary<string, Action<GradientContext>>();
        ElementwiseRules.Register(rules);
        MatMulRules.Register(rules);
        ReductionRules.Register(rules);
        ShapeRules.Register(rules);
        IndexingRules.Register(rules);
        return rules;
    }
}
