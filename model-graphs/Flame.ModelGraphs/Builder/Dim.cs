namespace Flame.ModelGraphs.Builder;

/// <summary>One dimension of a tensor's shape: a known size, or a symbol (batch, seq, ...) known only at run time.</summary>
public readonly record struct Dim(long Size, string? Symbol)
{
    public static implicit operator Dim(long size) => new(size, null);

    public static implicit operator Dim(int size) => new(size, null);

    public static Dim Sym(string symbol) => new(-1, symbol);

    public bool IsKnown => Symbol is null && Size >= 0;

    public override string ToString() => IsKnown ? Size.ToString(System.Globalization.CultureInfo.InvariantCulture) : Symbol ?? "?";
}
