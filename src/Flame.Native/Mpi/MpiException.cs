namespace Flame.Native.Mpi;

/// <summary>An MPI call failed, or a collective waited longer than its timeout for the other ranks.</summary>
public sealed class MpiException(string message) : Exception(message);
