using Flame.Data.Tokenization;
using Flame.Evaluation.Scoring;
using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using Flame.Runtime;
using Google.Protobuf;

namespace Flame.Evaluation.Tests;

/// <summary>The ORT scorer on a bigram "language model" (logits = row of a table chosen by the current token), checked by hand.</summary>
[TestClass]
public sealed class OrtScorerTests
{
    private const int Vocabulary = 8;

    /// <summary>Letters a..g are tokens 0..6; token 7 is the end of document.</summary>
    private sealed class LetterTokenizer : ITokenizer
    {
        public int VocabularySize => Vocabulary;

        public int? EndOfDocumentId => 7;

        public int[] Encode(string text) => text.Select(c => c - 'a').ToArray();

        public string Decode(ReadOnlySpan<int> ids) => string.Concat(ids.ToArray().Select(i => (char)('a' + i)));
    }

    private static readonly float[] Table = Enumerable.Range(0, Vocabulary * Vocabulary).Select(i => (float)Math.Sin(i * 1.7) * 2).ToArray();

    private static byte[] BigramModel()
    {
        var graph = new GraphProto { Name = "bigram" };
        graph.Initializer.Add(OnnxTensors.Create("table", Table, Vocabulary, Vocabulary));
        graph.Node.Add(new NodeProto { OpType = "Gather", Input = { "table", "input_ids" }, Output = { "logits" } });
        graph.Input.Add(new ValueInfoProto { Name = "input_ids", Type = Tensor(TensorProto.Types.DataType.Int64, "batch", "seq") });
        graph.Output.Add(new ValueInfoProto { Name = "logits", Type = Tensor(TensorProto.Types.DataType.Float, "batch", "seq", Vocabulary) });
        var model = new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Version = 17 } } };
        return model.ToByteArray();
    }

    private static TypeProto Tensor(TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d }));
        return new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } };
    }

    // log P(next | previous) of the bigram table, in double.
    private static double LogP(int previous, int next)
    {
        var row = Table.Skip(previous * Vocabulary).Take(Vocabulary).Select(v => (double)v).ToArray();
        return row[next] - Math.Log(row.Sum(Math.Exp));
    }

    [TestMethod]
    public void TrailingWhitespaceOfTheContextMovesIntoTheContinuation()
    {
        // lm_eval/api/model.py _encode_pair.
        Assert.AreEqual(new LogLikelihoodRequest("Question: x\nAnswer:", " \t yes"), OrtLogLikelihoodScorer.MoveTrailingWhitespace(new LogLikelihoodRequest("Question: x\nAnswer: \t", " yes")));
        Assert.AreEqual(new LogLikelihoodRequest("no space", " here"), OrtLogLikelihoodScorer.MoveTrailingWhitespace(new LogLikelihoodRequest("no space", " here")));
        Assert.AreEqual(new LogLikelihoodRequest("", "\n\u001f end"), OrtLogLikelihoodScorer.MoveTrailingWhitespace(new LogLikelihoodRequest("\n\u001f", " end")));
    }

    [TestMethod]
    public void SumsTheContinuationsLogProbabilitiesAndFindsGreedyOnes()
    {
        using var session = new ModelSession(BigramModel());
        var scorer = new OrtLogLikelihoodScorer(session, new LetterTokenizer(), maxLength: 16, batchSize: 2);
        var greedyNext = Enumerable.Range(0, Vocabulary).Select(p => Enumerable.Range(0, Vocabulary).MaxBy(n => Table[p * Vocabulary + n])).ToArray();
        var greedy = "c" + (char)('a' + greedyNext[2]);

        var results = scorer.Score([new("abc", "de"), new("a", "b"), new("", "ab"), new("c", greedy[1..])]);

        Assert.AreEqual(LogP(2, 3) + LogP(3, 4), results[0].LogLikelihood, 1e-5);
        Assert.AreEqual(LogP(0, 1), results[1].LogLikelihood, 1e-5);
        Assert.AreEqual(LogP(7, 0) + LogP(0, 1), results[2].LogLikelihood, 1e-5, "an empty context starts from the end-of-document token");
        Assert.IsTrue(results[3].IsGreedy);
    }

    [TestMethod]
    public void BatchingAndPaddingDoNotChangeScores()
    {
        using var session = new ModelSession(BigramModel());
        var tokenizer = new LetterTokenizer();
        LogLikelihoodRequest[] requests = [new("abcdefg", "a"), new("b", "c"), new("gfed", "cba"), new("ab", "g")];

        var one = new OrtLogLikelihoodScorer(session, tokenizer, 16, batchSize: 1).Score(requests);
        var all = new OrtLogLikelihoodScorer(session, tokenizer, 16, batchSize: 4).Score(requests);

        CollectionAssert.AreEqual(one.Select(r => r.LogLikelihood).ToArray(), all.Select(r => r.LogLikelihood).ToArray());
    }

    [TestMethod]
    public void LongContextsAreTruncatedFromTheLeft()
    {
        using var session = new ModelSession(BigramModel());
        var scorer = new OrtLogLikelihoodScorer(session, new LetterTokenizer(), maxLength: 3);

        // Only "efg" + "a" fit: the model reads "efg" and scores "a" after "g", as without the prefix.
        var truncated = scorer.Score([new("abcdefg", "a"), new("efg", "a")]);

        Assert.AreEqual(truncated[1].LogLikelihood, truncated[0].LogLikelihood, 1e-9);
        Assert.AreEqual(LogP(6, 0), truncated[0].LogLikelihood, 1e-5);
    }
}
