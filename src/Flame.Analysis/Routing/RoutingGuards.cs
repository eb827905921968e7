namespace Flame.Analysis.Routing;

/// <summary>Checks shared by the analyses, so every one rejects a bad trace with the same message.</summary>
internal static class RoutingGuards
{
    public static int CheckExpert(int expert, int experts) =>
        (uint)expert < (uint)experts
            ? expert
            : throw new InvalidDataException($"expert index {expert} is outside 0..{experts - 1}; is --experts right for this trace?");

    public static int CheckToken(int token, int vocabulary) =>
        (uint)token < (uint)vocabulary
            ? token
            : throw new InvalidDataException($"token id {token} is outside 0..{vocabulary - 1}; is the vocabulary size right for this trace?");
}
