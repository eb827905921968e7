namespace Flame.Server;

/// <summary>What the endpoints compute, over the served model: routing, log-likelihoods, generation.</summary>
public sealed class ProbeEngine(ServedModel model, ServerOptions options)
{
    private int MaxLength => model.Config.MaxSequenceLength;

    private ExpertInterventions Interventions(ExpertIntervention[]? items) =>
        ExpertInterventions.From(items, model.MoeLayers, model.Config.Experts, model.Config.TopK);

    private int[] Encode(string? text, string field)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw new RequestException($"{field}: must be a non-empty string");
        }

        return model.Tokenizer.Encode(text);
    }

    public RouteResponse Route(RouteRequest request)
    {
        var interventions = Interventions(request.Interventions);
        var ids = Encode(request.Text, "text");
        if (ids.Length > MaxLength)
        {
            throw new RequestException($"text: {ids.Length} tokens exceed the model's {MaxLength}", 413);
        }

        var result = model.Forward(ids, interventions);
        var k = model.Config.TopK;
        return new RouteResponse([.. ids.Select((id, t) => new RoutedToken(id, model.Tokenizer.Decode([id]),
            [.. model.MoeLayers.Select(l => new LayerRouting(l,
                [.. result.Routing[l].Experts.AsSpan(t * k, k).ToArray().Select(e => (int)e)],
                result.Routing[l].Weights.AsSpan(t * k, k).ToArray()))]))], model.Config.Experts, k);
    }

    /// <summary>A log-likelihood request checked and encoded against the per-request limits, ready to score in chunks.</summary>
    public sealed record PreparedLoglikelihood(IReadOnlyList<(int[] Input, int[] Continuation)> Pairs, ExpertInterventions Interventions);

    /// <summary>Checks a log-likelihood request (pairs, tokens, limits) before it is queued: its errors are 400 / 413 at once.</summary>
    public PreparedLoglikelihood Prepare(LoglikelihoodRequest request)
    {
        if (request.Requests is not { Length: > 0 })
        {
            throw new RequestException("requests: give at least one {context, continuation}");
        }

        if (request.Requests.Length > options.MaxPairs)
        {
            throw new RequestException($"requests: {request.Requests.Length} pairs exceed this server's limit of {options.MaxPairs} per request (flame serve --max-pairs); send them in several requests", 413);
        }

        var interventions = Interventions(request.Interventions);
        var pairs = new List<(int[], int[])>(request.Requests.Length);
        long tokens = 0;
        for (var i = 0; i < request.Requests.Length; i++)
        {
            var pair = request.Requests[i];
            var context = pair.Context is { Length: > 0 } ? model.Tokenizer.Encode(pair.Context) : [];
            var continuation = Encode(pair.Continuation, $"requests[{i}].continuation");
            if (continuation.Length > MaxLength)
            {
                throw new RequestException($"requests[{i}].continuation: {continuation.Length} tokens exceed the model's {MaxLength}", 413);
            }

            // Cut the context from the left, as lm-evaluation-harness does; an empty one starts at end-of-document.
            int[] all = [.. context.Length == 0 && model.Tokenizer.EndOfDocumentId is { } eod ? [eod] : context, .. continuation];
            all = all[Math.Max(0, all.Length - MaxLength - 1)..];
            tokens += all.Length - 1;
            if (tokens > options.MaxRequestTokens)
            {
                throw new RequestException($"requests: more than {options.MaxRequestTokens} tokens to score in one request (flame serve --max-request-tokens); send them in several requests", 413);
            }

            pairs.Add((all[..^1], continuation));
        }

        return new PreparedLoglikelihood(pairs, interventions);
    }

    /// <summary>Scores pairs [<paramref name="first"/>, first + count) of a prepared request; stops between pairs once <paramref name="cancellation"/> fires (the client went away).</summary>
    public IReadOnlyList<LoglikelihoodResult> Loglikelihood(PreparedLoglikelihood prepared, int first, int count, CancellationToken cancellation = default)
    {
        var results = new List<LoglikelihoodResult>(count);
        foreach (var (input, continuation) in prepared.Pairs.Skip(first).Take(count))
        {
            cancellation.ThrowIfCancellationRequested();
            var result = model.Forward(input, prepared.Interventions);
            double logprob = 0;
            var greedy = true;
            var v = result.Vocabulary;
            for (var j = 0; j < continuation.Length; j++)
            {
                var position = input.Length - continuation.Length + j;
                var row = result.Logits.AsSpan(position * v, v)[..model.Config.VocabSize];
                var max = row[TokenSampler.ArgMax(row)];
                double sum = 0;
                foreach (var value in row)
                {
                    sum += Math.Exp(value - max);
                }

                logprob += row[continuation[j]] - max - Math.Log(sum);
                greedy &= TokenSampler.ArgMax(row) == continuation[j];
            }

            results.Add(new LoglikelihoodResult(logprob, greedy, continuation.Length));
        }

        return results;
    }

    /// <summary>A completion request checked and encoded, ready to generate from.</summary>
    public sealed record PreparedCompletion(CompletionRequest Request, int[] Prompt, ExpertInterventions Interventions);

    /// <summary>Checks and encodes a completion request (before it is queued or streamed, so errors are still JSON).</summary>
    public PreparedCompletion Prepare(CompletionRequest request)
    {
        if (request.MaxTokens < 1 || request.MaxTokens > options.MaxNewTokens)
        {
            throw new RequestException($"max_tokens: must lie in [1, {options.MaxNewTokens}]");
        }

        if (request.Temperature < 0 || request.TopK < 0 || request.TopP is <= 0 or > 1)
        {
            throw new RequestException("temperature must be >= 0, top_k >= 0 and top_p in (0, 1]");
        }

        var interventions = Interventions(request.Interventions);
        var prompt = Encode(request.Prompt, "prompt");
        if (prompt.Length > MaxLength)
        {
            throw new RequestException($"prompt: longer than the model's {MaxLength} tokens", 413);
        }

        return new PreparedCompletion(request, prompt, interventions);
    }

    /// <summary>
    /// Generates token by token with the KV cache (the prompt once, then one token per step),
    /// calling <paramref name="onToken"/> with each new piece of text. When the context reaches
    /// the model's length, the cache restarts from the last half of it.
    /// </summary>
    public CompletionResponse Complete(PreparedCompletion prepared, Action<string>? onToken)
    {
        var (request, prompt, interventions) = prepared;
        var ids = new List<int>(prompt);
        var random = new Random(request.Seed ?? 0);
        var generated = new List<int>();
        var text = "";
        var finish = "length";
        KvCache? cache = null;
        var pending = ids.ToList();
        while (generated.Count < request.MaxTokens)
        {
            if (cache is not null && cache.Length + pending.Count > MaxLength)
            {
                cache = null;
                pending = ids.Skip(ids.Count - MaxLength / 2).ToList();
            }

            var result = model.Forward(pending, interventions, cache);
            cache = result.Cache;
            var v = result.Vocabulary;
            var next = TokenSampler.Next(result.Logits.AsSpan((pending.Count - 1) * v, v), model.Config.VocabSize, request.Temperature, request.TopK, request.TopP, random);
            pending = [next];
            if (next == model.Tokenizer.EndOfDocumentId)
            {
                finish = "stop";
                break;
            }

            ids.Add(next);
            generated.Add(next);
            var decoded = model.Tokenizer.Decode([.. generated]);
            var piece = decoded[Math.Min(text.Length, decoded.Length)..];
            text = decoded;
            if (request.Stop?.FirstOrDefault(s => s.Length > 0 && text.Contains(s, StringComparison.Ordinal)) is { } stop)
            {
                var cut = text.IndexOf(stop, StringComparison.Ordinal);
                onToken?.Invoke(piece[..Math.Max(0, piece.Length - (text.Length - cut))]);
                text = text[..cut];
                finish = "stop";
                break;
            }

            onToken?.Invoke(piece);
        }

        return new CompletionResponse(text, [.. generated], finish, prompt.Length);
    }
}
