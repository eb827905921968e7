using Flame.Data.Tokenization;
using Flame.Evaluation.Scoring;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Reference;
using Flame.Runtime;
using Google.Protobuf;

namespace Flame.Evaluation.Tests;

/// <summary>Log-likelihoods of the ORT scorer on a real MoE graph against the independent double-precision reference forward.</summary>
[TestClass]
public sealed class ScorerMatchesReferenceTests
{
    /// <summary>Characters a..z are tokens 0..25; token 26 ends documents.</summary>
    private sealed class AlphabetTokenizer : ITokenizer
    {
        public int VocabularySize => 27;

        public int? EndOfDocumentId => 26;

        public int[] Encode(string text) => text.Select(c => c - 'a').ToArray();

        public string Decode(ReadOnlySpan<int> ids) => string.Concat(ids.ToArray().Select(i => (char)('a' + i)));
    }

    [TestMethod]
    public void LogLikelihoodsEqualTheReferenceModels()
    {
        var config = ModelConfigs.Load("tiny-moe", ["vocab_size=27"]) with { InitStd = 0.2 };
        var graph = FlameMoeModel.Build(config, new ForwardOptions(Seed: 99));
        var reference = new ReferenceModel(config, ReferenceWeights.For(graph.Parameters, 99));
        using var session = new ModelSession(graph.Model.ToByteArray());
        var tokenizer = new AlphabetTokenizer();
        LogLikelihoodRequest[] requests = [new("thecat", "sat"), new("a", "bcd"), new("", "hello"), new("zzzz", "z")];

        var scored = new OrtLogLikelihoodScorer(session, tokenizer, maxLength: 64, batchSize: 3).Score(requests);

        for (var r = 0; r < requests.Length; r++)
        {
            var context = requests[r].Context.Length == 0 ? [26] : tokenizer.Encode(requests[r].Context);
            var continuation = tokenizer.Encode(requests[r].Continuation);
            int[] all = [.. context, .. continuation];
            var ids = new long[1, all.Length - 1];
            for (var i = 0; i < all.Length - 1; i++)
            {
                ids[0, i] = all[i];
            }

            var logits = reference.Forward(ids).Logits;
            var expected = 0.0;
            for (var j = 0; j < continuation.Length; j++)
            {
                var position = context.Length - 1 + j;
                var row = Enumerable.Range(0, config.PaddedVocab).Select(v => logits[0, position, v]).ToArray();
                var max = row.Max();
                expected += row[continuation[j]] - max - Math.Log(row.Sum(v => Math.Exp(v - max)));
            }

            Assert.AreEqual(expected, scored[r].LogLikelihood, 1e-4 * Math.Max(1, Math.Abs(expected)), $"request {r}");
        }
    }
}
