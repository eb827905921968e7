using Flame.Data.Indexed;
using Flame.Evaluation.Scoring;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Reference;
using Flame.Runtime;
using Google.Protobuf;

namespace Flame.Evaluation.Tests;

[TestClass]
public sealed class DatasetLossTests
{
    [TestMethod]
    public void ValidationLossEqualsTheReferenceCrossEntropy()
    {
        var folder = Directory.CreateTempSubdirectory("flame-val-").FullName;
        try
        {
            var prefix = Path.Combine(folder, "valid");
            using (var writer = new IndexedDatasetWriter(prefix, 512))
            {
                // One document: the window is exactly these 9 tokens (seq_len 8 + 1).
                writer.Add([3, 14, 15, 92, 65, 35, 89, 79, 32]);
                writer.Complete();
            }

            var config = ModelConfigs.Load("tiny-moe") with { InitStd = 0.2 };
            var graph = FlameMoeModel.Build(config, new ForwardOptions(Seed: 5));
            using var session = new ModelSession(graph.Model.ToByteArray());
            using var dataset = IndexedDataset.Open(prefix);

            var result = DatasetLoss.Evaluate(session, dataset, [0], sequenceLength: 8, maxWindows: 10);

            int[] window = [3, 14, 15, 92, 65, 35, 89, 79, 32];
            var ids = new long[1, 8];
            for (var i = 0; i < 8; i++)
            {
                ids[0, i] = window[i];
            }

            var logits = new ReferenceModel(config, ReferenceWeights.For(graph.Parameters, 5)).Forward(ids).Logits;
            var expected = 0.0;
            for (var s = 0; s < 8; s++)
            {
                var row = Enumerable.Range(0, config.PaddedVocab).Select(v => logits[0, s, v]).ToArray();
                var max = row.Max();
                expected -= row[window[s + 1]] - max - Math.Log(row.Sum(v => Math.Exp(v - max)));
            }

            expected /= 8;
            Assert.AreEqual(1, result.Documents, "one window");
            Assert.AreEqual(expected, result.Metrics["loss"].Value, 1e-4);
            Assert.AreEqual(Math.Exp(expected), result.Metrics["perplexity"].Value, 1e-3 * Math.Exp(expected));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
