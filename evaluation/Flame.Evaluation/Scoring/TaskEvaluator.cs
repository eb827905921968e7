using System.Text;
using Flame.Evaluation.Tasks;

namespace Flame.Evaluation.Scoring;

/// <summary>
/// Scores a task's documents with a model and computes the harness's metrics:
/// <list type="bullet">
/// <item>acc: the choice with the highest log-likelihood is the gold one;</item>
/// <item>acc_norm: the same after dividing each log-likelihood by its choice's length in Unicode code points (Python's len);</item>
/// <item>acc_bytes: the same by its length in UTF-8 bytes (the harness's HEAD; beside acc_norm);</item>
/// <item>LAMBADA: perplexity = exp(-mean log-likelihood of the last word), acc = greedy decoding yields it.</item>
/// </list>
/// Ties go to the first choice (numpy's argmax).
/// </summary>
public static class TaskEvaluator
{
    public static TaskResult Evaluate(PromptBuilder prompts, IReadOnlyList<FormattedDoc> docs, ILogLikelihoodScorer scorer, IProgress<int>? progress = null)
    {
        var task = prompts.Task;
        var requests = new List<LogLikelihoodRequest>();
        var firstRequest = new int[docs.Count];
        var perDocument = prompts.RequestsFor(docs);
        for (var i = 0; i < docs.Count; i++)
        {
            firstRequest[i] = requests.Count;
            requests.AddRange(perDocument[i]);
        }

        var results = scorer.Score(requests, progress);
        if (results.Count != requests.Count)
        {
            throw new InvalidOperationException($"the scorer answered {results.Count} of {requests.Count} requests");
        }

        var metrics = new Dictionary<string, List<double>>();
        void Add(string metric, double value)
        {
            if (!metrics.TryGetValue(metric, out var list))
            {
                metrics[metric] = list = [];
            }

            list.Add(value);
        }

        for (var i = 0; i < docs.Count; i++)
        {
            var doc = docs[i];
            var scored = results.Skip(firstRequest[i]).Take(doc.Choices.Count).ToList();
            if (task.Kind == TaskKind.LastWord)
            {
                Add("loglikelihood", scored[0].LogLikelihood);
                Add("acc", scored[0].IsGreedy ? 1 : 0);
                continue;
            }

            var logLikelihoods = scored.Select(r => r.LogLikelihood).ToList();
            Add("acc", ArgMax(logLikelihoods) == doc.Gold ? 1 : 0);
            if (task.Metrics.Contains("acc_norm"))
            {
                // task.py process_results: completion_len = len(choice), a float division as numpy's.
                Add("acc_norm", ArgMax([.. logLikelihoods.Select((ll, c) => ll / doc.Choices[c].EnumerateRunes().Count())]) == doc.Gold ? 1 : 0);
                Add("acc_bytes", ArgMax([.. logLikelihoods.Select((ll, c) => ll / Encoding.UTF8.GetByteCount(doc.Choices[c]))]) == doc.Gold ? 1 : 0);
            }
        }

        var reported = new Dictionary<string, MetricValue>();
        foreach (var (name, values) in metrics)
        {
            if (name == "loglikelihood")
            {
                // Perplexity's error by the delta method: d exp(-m) = exp(-m) dm.
                var mean = MetricValue.MeanOf(values);
                var perplexity = Math.Exp(-mean.Value);
                reported["perplexity"] = new MetricValue(perplexity, perplexity * mean.StandardError);
            }
            else
            {
                reported[name] = MetricValue.MeanOf(values);
            }
        }

        return new TaskResult(task.Name, Shots: prompts.Shots, docs.Count, reported, prompts.Seed);
    }

    private static int ArgMax(IReadOnlyList<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Count; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
