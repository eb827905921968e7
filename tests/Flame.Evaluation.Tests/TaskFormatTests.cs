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
        return new PromptBuilder(harnessTask, [], shots: 0).RequestsFor(docs)[doc];
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

    // The harness's draws, from Debian's python3: r = random.Random(seed); [r.sample(range(pool), n) for each scored document]
    //   arc_easy (pool 6, n = k = 2):             seed 1234 → [3, 0], [0, 5];  seed 42 → [5, 0], [0, 2]
    //   hellaswag (pool 4, n = k + 1 = 3: no test_split, so fewshot_split == test_split): seed 1234 → [3, 0, 2], [0, 2, 3]
    [TestMethod]
    [DataRow(1234, 3, 0, 0, 5)]
    [DataRow(42, 5, 0, 0, 2)]
    public void FewShotExamplesAreTheHarnesssDrawInDocumentOrder(int seed, int first0, int second0, int first1, int second1)
    {
        var task = TaskRegistry.Get("arc_easy");
        var pool = TaskDataFiles.Load(task, Data, "train");
        var docs = TaskDataFiles.Load(task, Data, "test");
        var requests = new PromptBuilder(task, pool, shots: 2, seed).RequestsFor(docs);

        string Example(int i) => pool[i].AsExample(" ") + "\n\n";
        Assert.AreEqual(Example(first0) + Example(second0) + docs[0].Text, requests[0][0].Context);
        Assert.AreEqual(Example(first1) + Example(second1) + docs[1].Text, requests[1][0].Context);
        Assert.AreEqual(" " + docs[1].Choices[1], requests[1][1].Continuation);
        Assert.ThrowsExactly<InvalidOperationException>(() => new PromptBuilder(task, pool, shots: 7).RequestsFor(docs));
    }

    [TestMethod]
    public void HellaSwagDrawsOneMoreAndKeepsTheFirstK()
    {
        var task = TaskRegistry.Get("hellaswag");
        var pool = TaskDataFiles.Load(task, Data, "train");
        var docs = TaskDataFiles.Load(task, Data, "validation");
        var requests = new PromptBuilder(task, pool, shots: 2).RequestsFor(docs);

        Assert.IsTrue(task.FewShotSplitIsTestSplit);
        Assert.AreEqual(
            "Skateboarding: A boy stands on a skateboard. He rolls down the ramp.\n\nTennis: A man serves the ball. He hits it over the net.\n\n" + docs[0].Text,
            requests[0][0].Context);
        Assert.AreEqual(pool[0].AsExample(" ") + "\n\n" + pool[2].AsExample(" ") + "\n\n" + docs[1].Text, requests[1][0].Context);
    }

    [TestMethod]
    public void FewShotNeverUsesTheDocumentItself()
    {
        var task = TaskRegistry.Get("hellaswag");
        var docs = TaskDataFiles.Load(task, Data, "validation");
        var builder = new PromptBuilder(task, docs, shots: 1);
        var context = builder.RequestsFor(docs)[0][0].Context;
        Assert.IsTrue(context.StartsWith("Baking cookies:", StringComparison.Ordinal), context);
    }
}
