using Flame.Data.Tokenization;
using Flame.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Evaluation.Scoring;

/// <summary>
/// Scores requests with a model's forward graph (input <c>input_ids</c> int64 [batch, seq] →
/// output <c>logits</c> [batch, seq, vocab]) as lm-evaluation-harness does for causal models:
/// <list type="bullet">
/// <item>the continuation's tokens are those of tokenize(context + continuation) after tokenize(context), so merges across the seam count as the harness counts them;</item>
/// <item>a context's trailing whitespace moves to the front of its continuation (the harness's _encode_pair);</item>
/// <item>an empty context is replaced by the end-of-document token;</item>
/// <item>the sequence is truncated from the left to <see cref="MaxLength"/> + 1 tokens, the model reads all but the last;</item>
/// <item>log P(continuation) sums the log-softmax of each continuation token; greedy = every one is the argmax.</item>
/// </list>
/// Requests are batched by length (longest first, right-padded: a causal model's earlier positions never see the padding).
/// </summary>
public sealed class OrtLogLikelihoodScorer(IModelRunner model, ITokenizer tokenizer, int maxLength, int batchSize = 8) : ILogLikelihoodScorer
{
    public const string InputName = "input_ids";
    public const string OutputName = "logits";

    public int MaxLength { get; } = maxLength > 0 ? maxLength : throw new ArgumentOutOfRangeException(nameof(maxLength));

    public IReadOnlyList<LogLikelihoodResult> Score(IReadOnlyList<LogLikelihoodRequest> requests, IProgress<int>? progress = null)
    {
        var encoded = requests.Select(Encode).ToList();
        var results = new LogLikelihoodResult[requests.Count];
        var order = Enumerable.Range(0, requests.Count).OrderByDescending(i => encoded[i].Input.Length).ToList();
        var done = 0;
        foreach (var batch in order.Chunk(batchSize))
        {
            ScoreBatch(batch, encoded, results);
            done += batch.Length;
            progress?.Report(done);
        }

        return results;
    }

    private (long[] Input, int[] Continuation) Encode(LogLikelihoodRequest request)
    {
        if (request.Context.Length > 0)
        {
            request = MoveTrailingWhitespace(request);
        }

        var context = request.Context.Length == 0
            ? [tokenizer.EndOfDocumentId ?? throw new InvalidOperationException("an empty context needs an end-of-document token, and the tokenizer has none")]
            : tokenizer.Encode(request.Context);
        var whole = tokenizer.Encode(request.Context + request.Continuation);
        var continuation = request.Context.Length == 0 ? whole : whole[Math.Min(context.Length, whole.Length)..];
        if (continuation.Length == 0)
        {
            throw new InvalidOperationException($"the continuation '{request.Continuation}' encodes to no tokens after its context");
        }

        var all = (request.Context.Length == 0 ? context.Concat(whole) : whole.AsEnumerable()).ToArray();
        var window = all[Math.Max(0, all.Length - (MaxLength + 1))..];
        return (window[..^1].Select(t => (long)t).ToArray(), continuation.Length > window.Length - 1 ? continuation[^(window.Length - 1)..] : continuation);
    }

    /// <summary>
    /// lm_eval/models/huggingface.py _encode_pair: n_spaces = len(context) - len(context.rstrip());
    /// those characters go from the end of the context to the start of the continuation.
    /// (Python's str.isspace also counts the separators U+001C..U+001F.)
    /// </summary>
    public static LogLikelihoodRequest MoveTrailingWhitespace(LogLikelihoodRequest request)
    {
        var context = request.Context;
        var end = context.Length;
        while (end > 0 && (char.IsWhiteSpace(context[end - 1]) || context[end - 1] is >= '\u001c' and <= '\u001f'))
        {
            end--;
        }

        return end == context.Length ? request : new LogLikelihoodRequest(context[..end], context[end..] + request.Continuation);
    }

    private void ScoreBatch(int[] batch, List<(long[] Input, int[] Continuation)> encoded, LogLikelihoodResult[] results)
    {
        var length = batch.Max(i => encoded[i].Input.Length);
        var ids = new long[batch.Length * length];
        for (var b = 0; b < batch.Length; b++)
        {
            encoded[batch[b]].Input.CopyTo(ids, b * length);
        }

        using var input = OrtValue.FromArray(ids, batch.Length, length);
        using var outputs = model.Run(new Dictionary<string, OrtValue> { [InputName] = input }, [OutputName]);
        var logits = outputs[OutputName].AsSpan<float>();
        var vocabulary = (int)outputs[OutputName].Shape[2];
        for (var b = 0; b < batch.Length; b++)
        {
            var (tokens, continuation) = encoded[batch[b]];
            double total = 0;
            var greedy = true;
            for (var j = 0; j < continuation.Length; j++)
            {
                // The logits at position p predict token p + 1.
                var position = tokens.Length - continuation.Length + j;
                var row = logits.Slice((b * length + position) * vocabulary, vocabulary);
                total += LogSoftmax.At(row, continuation[j], out var argmax);
                greedy &= argmax == continuation[j];
            }

            results[batch[b]] = new LogLikelihoodResult(total, greedy);
        }
    }
}
