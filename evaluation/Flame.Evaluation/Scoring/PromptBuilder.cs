using Flame.Evaluation.Tasks;

namespace Flame.Evaluation.Scoring;

/// <summary>
/// Turns formatted documents into log-likelihood requests as lm-evaluation-harness does:
/// few-shot examples (solved documents of the few-shot split, joined by a blank line) before
/// the query, then one request per choice. Examples are drawn per document with a seeded
/// generator, never the document itself.
/// </summary>
public sealed class PromptBuilder(HarnessTask task, IReadOnlyList<FormattedDoc> fewShotPool, int shots, int seed = 1234)
{
    /// <summary>The harness's fewshot_delimiter.</summary>
    public const string ExampleDelimiter = "\n\n";

    public HarnessTask Task => task;

    public int Shots => shots;

    /// <summary>The requests of one document, in choice order.</summary>
    public IReadOnlyList<LogLikelihoodRequest> RequestsFor(FormattedDoc doc, int docIndex)
    {
        var prefix = FewShotPrefix(doc, docIndex);
        var delimiter = task.TargetDelimiter;
        return doc.IsPartial
            ? doc.Choices.Select(choice => new LogLikelihoodRequest(prefix + choice, delimiter + doc.SharedContinuation)).ToList()
            : doc.Choices.Select(choice => new LogLikelihoodRequest(prefix + doc.Text, delimiter + choice)).ToList();
    }

    private string FewShotPrefix(FormattedDoc doc, int docIndex)
    {
        if (shots == 0)
        {
            return "";
        }

        // Seeded per document, so one document's prompt does not depend on which others are scored.
        // (HashCode is randomised per process, so the seed is mixed by hand.)
        var random = new Random(unchecked(seed * 1_000_003 + docIndex));
        var candidates = fewShotPool.Where(example => !SameDocument(example, doc)).ToList();
        if (candidates.Count < shots)
        {
            throw new InvalidOperationException(
                $"task {task.Name}: {shots}-shot needs {shots} examples in the {task.FewShotSplit} split; it has {candidates.Count}");
        }

        var examples = candidates.OrderBy(_ => random.Next()).Take(shots);
        return string.Join(ExampleDelimiter, examples.Select(e => e.AsExample(task.TargetDelimiter))) + ExampleDelimiter;
    }

    private static bool SameDocument(FormattedDoc a, FormattedDoc b) =>
        a.Text == b.Text && a.Gold == b.Gold && a.SharedContinuation == b.SharedContinuation && a.Choices.SequenceEqual(b.Choices);
}
