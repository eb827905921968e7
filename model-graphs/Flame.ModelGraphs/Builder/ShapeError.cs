namespace Flame.ModelGraphs.Builder;

/// <summary>A graph that cannot compute: found while building, naming the op and the shapes.</summary>
public sealed class ShapeError(string message) : Exception(message);
