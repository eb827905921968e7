namespace Flame.Evaluation.Scoring;

/// <summary>log softmax(row)[token] in double, and the row's argmax, read from a logits row in one pass pair.</summary>
public static class LogSoftmax
{
    public static double At(ReadOnlySpan<float> row, int token, out int argmax)
    {
        argmax = 0;
        for (var v = 1; v < row.Length; v++)
        {
            if (row[v] > row[argmax])
            {
                argmax = v;
            }
        }

        double max = row[argmax], sum = 0;
        foreach (var value in row)
        {
            sum += Math.Exp(value - max);
        }

        return row[token] - max - Math.Log(sum);
    }
}
