using Flame.Evaluation.Tasks;

namespace Flame.Evaluation.Scoring;

/// <summary>
/// Turns formatted documents into log-likelihood requests as lm-evaluation-harness does:
/// few-shot examples (solved documents of the few-shot split, each followed by a blank line)
/// before the query, then one request per choice. The examples are the harness's own draw:
/// one Python random.Random(seed) per task, consumed in document order, each document taking
/// rnd.sample(pool, k) (k + 1 where the task's few-shot split is its test split, the scored
/// document dropped and the first k kept): lm_eval/api/samplers.py, ContextSampler.get_context.
/// </summary>
public sealed class PromptBuilder(HarnessTask task, IReadOnlyList<FormattedDoc> fewShotPool, int shots, int seed = PromptBuilder.HarnessSeed)
{
    /// <summary>The harness's default few-shot seed (evaluator.simple_evaluate's fewshot_random_seed); FLAME-MoE's runs passed --seed 42.</summary>
    public const int HarnessSeed = 1234;

    /// <summary>The harness's fewshot_delimiter.</summary>
    public const string ExampleDelimiter = "\n\n";

    public HarnessTask Task => task;

    public int Shots => shots;

    public int Seed => seed;

    /// <summary>The requests of every document, in document order and, within one, choice order.</summary>
    /// <exception cref="InvalidOperationException">the few-shot split has fewer documents than a draw needs.</exception>
    public IReadOnlyList<IReadOnlyList<LogLikelihoodRequest>> RequestsFor(IReadOnlyList<FormattedDoc> docs)
    {
        var random = new PythonRandom(seed);
        var requests = new List<IReadOnlyList<LogLikelihoodRequest>>(docs.Count);
        foreach (var doc in docs)
        {
            var prefix = FewShotPrefix(doc, random);
            var delimiter = task.TargetDelimiter;
            requests.Add(doc.IsPartial
                ? doc.Choices.Select(choice => new LogLikelihoodRequest(prefix + choice, delimiter + doc.SharedContinuation)).ToList()
                : doc.Choices.Select(choice => new LogLikelihoodRequest(prefix + doc.Text, delimiter + choice)).ToList());
        }

        return requests;
    }

    private string FewShotPrefix(FormattedDoc doc, PythonRandom random)
    {
        if (shots == 0)
        {
            return "";
        }

        var drawn = shots + (task.FewShotSplitIsTestSplit ? 1 : 0);
        if (fewShotPool.Count < drawn)
        {
            throw new InvalidOperationException(
                $"task {task.Name}: {shots}-shot draws {drawn} examples from the {task.FewShotSplit} split; it has {fewShotPool.Count}");
        }

        var examples = random.Sample(fewShotPool.Count, drawn).Select(i => fewShotPool[i]).Where(example => !SameDocument(example, doc)).Take(shots);
        return string.Concat(examples.Select(e => e.AsExample(task.TargetDelimiter) + ExampleDelimiter));
    }

    // The harness compares the documents themselves (x != doc): the same fields and values.
    private static bool SameDocument(FormattedDoc a, FormattedDoc b) =>
        a.Text == b.Text && a.Gold == b.Gold && a.SharedContinuation == b.SharedContinuation && a.Choices.SequenceEqual(b.Choices);
}
