using Flame.Evaluation.Scoring;
using Flame.Evaluation.Tasks;

namespace Flame.Evaluation.Tests;

[TestClass]
public sealed class ScoringTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    [TestMethod]
    public void AccNormDividesByCodePointsAsPythonsLenAndCanDisagreeWithAcc()
    {
        // Choices "A" (1 code point, ll -2) and "BBBBBBBBBB" (10, ll -5): acc picks A, acc_norm picks B (the gold).
        var doc = new FormattedDoc("Q:", ["A", "BBBBBBBBBB"], Gold: 1);
        var scorer = new TableScorer(r => r.Continuation == " A" ? -2 : -5);

        var result = TaskEvaluator.Evaluate(new PromptBuilder(new PiqaTask(), [], 0), [doc], scorer);

        Assert.AreEqual(0.0, result.Metrics["acc"].Value);
        Assert.AreEqual(1.0, result.Metrics["acc_norm"].Value);
    }

    [TestMethod]
    public void AccNormCountsCodePointsWhereAccBytesCountsUtf8Bytes()
    {
        // "ééé" is 3 code points but 6 bytes; "abcd" 4 and 4. ll -3.3 vs -4.0:
        // per code point -1.1 vs -1.0 (acc_norm: abcd), per byte -0.55 vs -1.0 (acc_bytes: ééé).
        // An emoji outside the BMP is one code point (two UTF-16 units), as Python counts it.
        var doc = new FormattedDoc("Q:", ["\u00e9\u00e9\u00e9", "abcd"], Gold: 1);
        var scorer = new TableScorer(r => r.Continuation == " \u00e9\u00e9\u00e9" ? -3.3 : -4.0);

        var result = TaskEvaluator.Evaluate(new PromptBuilder(new PiqaTask(), [], 0), [doc], scorer);

        Assert.AreEqual(1.0, result.Metrics["acc_norm"].Value);
        Assert.AreEqual(0.0, result.Metrics["acc_bytes"].Value);
        Assert.AreEqual(1, "🙂".EnumerateRunes().Count());
    }

    [TestMethod]
    public void AccuracyAndStandardErrorOverDocuments()
    {
        var task = TaskRegistry.Get("hellaswag");
        var docs = TaskDataFiles.Load(task, Data, "validation");
        // Doc 0 gold is ending 3, doc 1 gold is ending 3; the scorer prefers ending 3 only in doc 0.
        var scorer = new TableScorer(r => r.Continuation.Contains("continues removing", StringComparison.Ordinal) ? -1 : r.Continuation.Contains("egg yolks", StringComparison.Ordinal) ? -1 : -9);

        var result = TaskEvaluator.Evaluate(new PromptBuilder(task, [], 0), docs, scorer);

        Assert.AreEqual(2, result.Documents);
        Assert.AreEqual(0.5, result.Metrics["acc"].Value);
        // Sample std of {1, 0} is sqrt(0.5); over sqrt(2) that is 0.5.
        Assert.AreEqual(0.5, result.Metrics["acc"].StandardError, 1e-12);
        Assert.HasCount(8, scorer.Seen);
    }

    [TestMethod]
    public void WinoGrandeReportsOnlyAccuracy()
    {
        var task = TaskRegistry.Get("winogrande");
        var docs = TaskDataFiles.Load(task, Data, "validation");
        var scorer = new TableScorer(r => r.Context.EndsWith("Sarah", StringComparison.Ordinal) || r.Context.EndsWith("the trophy", StringComparison.Ordinal) ? -1 : -2);

        var result = TaskEvaluator.Evaluate(new PromptBuilder(task, [], 0), docs, scorer);

        Assert.AreEqual(1.0, result.Metrics["acc"].Value);
        Assert.IsFalse(result.Metrics.ContainsKey("acc_norm"));
    }

    [TestMethod]
    public void LambadaPerplexityIsExpOfMinusMeanLogLikelihood()
    {
        var task = TaskRegistry.Get("lambada_openai");
        var docs = TaskDataFiles.Load(task, Data, "test");
        var scorer = new TableScorer(_ => -Math.Log(4), greedy: _ => true);

        var result = TaskEvaluator.Evaluate(new PromptBuilder(task, [], 0), docs, scorer);

        Assert.AreEqual(4.0, result.Metrics["perplexity"].Value, 1e-12);
        Assert.AreEqual(1.0, result.Metrics["acc"].Value);
    }
}
