namespace Flame.Autodiff;

/// <summary>A graph the autodiff cannot differentiate; the message names the op and node.</summary>
public sealed class AutodiffException(string message) : Exception(message);
