using Flame.Evaluation.Scoring;
using Flame.Evaluation.Tasks;

namespace Flame.Evaluation.Tests;

/// <summary>Prompts exactly as lm-evaluation-harness builds them, on the fixtures in Fixtures/.</summary>
[TestClass]
public sealed class TaskFormatTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private static IReadOnlyList<LogLikelihoodRequest> ZeroShotRequests(string task, int doc = 0)
    {
        var harnessTask = TaskRegistry.Get(task);
        var docs = TaskDataFiles.Load(harnessTask, Data, harnessTask.EvaluationSplit);
        return new PromptBuilder(harnessTask, [], shots: 0).RequestsFor(docs[doc], doc);
    }

    [TestMethod]
    public void HellaSwagCleansWikiHowTagsAndCapitalisesLikePython()
    {
        Assert.AreEqual("How to do it. The man then.", HellaSwagTask.Preprocess(" How to do it [title] The man [step] then. "));
        Assert.AreEqual("Then the man", HellaSwagTask.Capitalize("tHEN the MAN"), "Python's capitalize lower-cases the rest");

        var requests = ZeroShotRequests("hellaswag");
        Assert.AreEqual("Removing ice from car: Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles. Then", requests[0].Context);
        // Stripped first, the ending starts with "[title]" (no leading space), so Python's
        // replace(" [title]", ". ") misses and the regex leaves " The man..." behind.
        Assert.AreEqual("  The man then removes the snow from the car.", requests[1].Continuation);
        Assert.AreEqual(" , the man continues removing the snow on his car.", requests[3].Continuation);
    }

    [TestMethod]
    public void ArcFindsTheGoldAmongNumericLabels()
    {
        var task = TaskRegistry.Get("arc_easy");
        var docs = TaskDataFiles.Load(task, Data, "test");
        Assert.AreEqual(2, docs[0].Gold);
        Assert.AreEqual(0, docs[1].Gold);
        var requests = ZeroShotRequests("arc_easy", 1);
        Assert.AreEqual("Question: Which tool is best to measure the mass of a rock?\nAnswer:", requests[0].Context);
        Assert.AreEqual(" balance", requests[0].Continuation);
    }

    [TestMethod]
    public void WinoGrandeScoresTheSameContinuationAfterEachFilledBlank()
    {
        var requests = ZeroShotRequests("winogrande");
        Assert.AreEqual("Sarah was a much better surgeon than Maria so Sarah", requests[0].Context);
        Assert.AreEqual("Sarah was a much better surgeon than Maria so Maria", requests[1].Context);
        Assert.AreEqual(" always got the harder cases.", requests[0].Continuation);
        Assert.AreEqual(requests[0].Continuation, requests[1].Continuation);
    }

    [TestMethod]
    public void LambadaSplitsOffTheLastWord()
    {
        var requests = ZeroShotRequests("lambada_openai");
        Assert.HasCount(1, requests);
        Assert.AreEqual(" signs", requests[0].Continuation);
        Assert.IsTrue(requests[0].Context.EndsWith("I don't care about", StringComparison.Ordinal));
    }

    [TestMethod]
    public void OtherTasksUseTheHarnessTemplates()
    {
        Assert.IsTrue(ZeroShotRequests("piqa")[0].Context.StartsWith("Question: How do I ready a guinea pig cage", StringComparison.Ordinal));
        Assert.AreEqual(" quit eating lunch out", ZeroShotRequests("openbookqa")[1].Continuation);
        var sciq = ZeroShotRequests("sciq");
        Assert.AreEqual("Mesophiles grow best in moderate temperature.\nQuestion: What type of organism is commonly used in preparation of foods such as cheese and yogurt?\nAnswer:", sciq[0].Context);
        Assert.AreEqual(" mesophilic organisms", sciq[3].Continuation);
        var boolq = ZeroShotRequests("boolq");
        Assert.IsTrue(boolq[0].Context.EndsWith("\nQuestion: does ethanol take more energy make that produces?\nAnswer:", StringComparison.Ordinal));
        Assert.AreEqual(" no", boolq[0].Continuation);
    }

    [TestMethod]
    public void FewShotExamplesComeFromTheTrainingSplitSeparatedByBlankLines()
    {
        var task = TaskRegistry.Get("arc_easy");
        var pool = TaskDataFiles.Load(task, Data, "train");
        var docs = TaskDataFiles.Load(task, Data, "test");
        var builder = new PromptBuilder(task, pool, shots: 2);

        var context = builder.RequestsFor(docs[1], 1)[0].Context;

        StringAssert.Contains(context, "Question: What is the boiling point of water at sea level?\nAnswer: 100 C\n\n");
        StringAssert.Contains(context, "Question: Which is a mammal?\nAnswer: whale\n\n");
        Assert.IsTrue(context.EndsWith("\n\nQuestion: Which tool is best to measure the mass of a rock?\nAnswer:", StringComparison.Ordinal));
        Assert.AreEqual(context, new PromptBuilder(task, pool, shots: 2).RequestsFor(docs[1], 1)[0].Context, "seeded: the same prompt every run");
        Assert.ThrowsExactly<InvalidOperationException>(() => new PromptBuilder(task, pool, shots: 3).RequestsFor(docs[1], 1));
    }

    [TestMethod]
    public void FewShotNeverUsesTheDocumentItself()
    {
        var task = TaskRegistry.Get("hellaswag");
        var docs = TaskDataFiles.Load(task, Data, "validation");
        var builder = new PromptBuilder(task, docs, shots: 1);
        var context = builder.RequestsFor(docs[0], 0)[0].Context;
        Assert.IsTrue(context.StartsWith("Baking cookies:", StringComparison.Ordinal), context);
    }
}
