using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flame.Data.Tokenization;
using Flame.ModelGraphs.Config;
using Flame.Onnx.SafeTensors;
using Flame.Training.Checkpoints;
using Microsoft.AspNetCore.Builder;

namespace Flame.Server.Tests;

/// <summary>The server over loopback HTTP, serving a small MoE with seeded weights and a tokenizer trained here.</summary>
[TestClass]
public sealed class ServerTests
{
    private static string _folder = "";
    private static ServedModel _model = null!;
    private static WebApplication _app = null!;
    private static HttpClient _http = null!;

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        _folder = Directory.CreateTempSubdirectory("flame-serve-").FullName;
        var text = Enumerable.Range(0, 300).Select(i => $"The whale {i % 7} swam under ship {i % 5}; the captain said {i % 3} words.").ToList();
        var tokenizer = BpeTrainer.Train(text, 400);
        TokenizerFiles.SaveHuggingFace(tokenizer, Path.Combine(_folder, "tokenizer.json"));
        var config = ModelConfigs.Load("tiny-moe") with { VocabSize = tokenizer.VocabularySize, InitStd = 0.2 };
        File.WriteAllText(Path.Combine(_folder, "config.json"), ModelConfigs.ToJson(config));
        SafeTensorsWriter.Write(Path.Combine(_folder, "model.safetensors"), CheckpointForward.InitialWeights(config, 5));

        _model = ServedModel.Load(_folder);
        _app = FlameServer.Create(_model, new ServerOptions { Port = 0, MaxQueued = 2 });
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        _http.Dispose();
        await _app.StopAsync();
        _model.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, string json)
    {
        using var response = await _http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(body.Length == 0 ? "{}" : body).RootElement.Clone());
    }

    [TestMethod]
    public async Task OnlyJsonPostsToAnAllowedHostAreServedAndNoCorsHeaderIsSent()
    {
        // What a web page can send without a CORS preflight: text/plain, or no type at all.
        using (var plain = await _http.PostAsync("/v1/route", new StringContent("""{"text": "The whale"}""", Encoding.UTF8, "text/plain")))
        {
            Assert.AreEqual(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);
            StringAssert.Contains(await plain.Content.ReadAsStringAsync(), "application/json");
        }

        using (var untyped = new HttpRequestMessage(HttpMethod.Post, "/v1/route") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"text": "x"}""")) })
        using (var response = await _http.SendAsync(untyped))
        {
            Assert.AreEqual(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        }

        // DNS rebinding: the page's own name arrives in the Host header.
        using (var rebound = new HttpRequestMessage(HttpMethod.Get, "/v1/model"))
        {
            rebound.Headers.Host = "evil.example";
            using var response = await _http.SendAsync(rebound);
            Assert.AreEqual(HttpStatusCode.Forbidden, response.StatusCode);
            StringAssert.Contains(await response.Content.ReadAsStringAsync(), "--allowed-host");
        }

        using (var local = new HttpRequestMessage(HttpMethod.Get, "/v1/model"))
        {
            local.Headers.Host = $"localhost:{new Uri(_app.Urls.First()).Port}";
            local.Headers.Add("Origin", "http://evil.example");
            using var response = await _http.SendAsync(local);
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
            Assert.IsFalse(response.Headers.Contains("Access-Control-Allow-Origin"), "no CORS: other origins cannot read the answers");
        }
    }

    [TestMethod]
    public async Task OneRequestsWorkIsBoundedAndASmallOneIsNotStuckBehindALargeOne()
    {
        static string Pairs(int n) => "{\"requests\": [" + string.Join(", ", Enumerable.Range(0, n).Select(i => $"{{\"context\": \"The whale {i % 7} swam under\", \"continuation\": \" ship {i % 5}\"}}")) + "]}";
        var (status, body) = await Post("/v1/loglikelihood", Pairs(new ServerOptions().MaxPairs + 1));
        Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, status);
        StringAssert.Contains(body.ToString(), "--max-pairs");

        // A large request scored in turns, and a small one beside it: both answered in full. That the small one
        // is served between the large one's turns is AdmissionGateTests' (here it would hang on timing).
        var large = Post("/v1/loglikelihood", Pairs(1000));
        var (smallStatus, _) = await Post("/v1/route", """{"text": "The whale swam"}""");
        Assert.AreEqual(HttpStatusCode.OK, smallStatus);
        var (largeStatus, largeBody) = await large;
        Assert.AreEqual(HttpStatusCode.OK, largeStatus, largeBody.ToString());
        Assert.AreEqual(1000, largeBody.GetProperty("results").GetArrayLength());
    }

    [TestMethod]
    public async Task RouteGivesTopKExpertsPerTokenAndLayer()
    {
        var (status, body) = await Post("/v1/route", """{"text": "The whale swam"}""");
        Assert.AreEqual(HttpStatusCode.OK, status, body.ToString());
        var tokens = body.GetProperty("tokens");
        Assert.AreEqual(_model.Tokenizer.Encode("The whale swam").Length, tokens.GetArrayLength());
        var layers = tokens[0].GetProperty("layers");
        Assert.AreEqual(2, layers.GetArrayLength(), "tiny-moe has two MoE layers");
        Assert.AreEqual(2, layers[0].GetProperty("experts").GetArrayLength(), "top-2");
    }

    [TestMethod]
    public async Task MaskingAnExpertRoutesAroundIt()
    {
        var (_, plain) = await Post("/v1/route", """{"text": "The whale swam under ship"}""");
        var first = plain.GetProperty("tokens")[0].GetProperty("layers")[0];
        var layer = first.GetProperty("layer").GetInt32();
        var expert = first.GetProperty("experts")[0].GetInt32();
        var (status, masked) = await Post("/v1/route", $$"""{"text": "The whale swam under ship", "interventions": [{"layer": {{layer}}, "experts": [{{expert}}], "mode": "mask"}]}""");
        Assert.AreEqual(HttpStatusCode.OK, status, masked.ToString());
        foreach (var token in masked.GetProperty("tokens").EnumerateArray())
        {
            var routing = token.GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("layer").GetInt32() == layer);
            Assert.IsFalse(routing.GetProperty("experts").EnumerateArray().Any(e => e.GetInt32() == expert), "the masked expert never appears");
        }

        var (_, zeroed) = await Post("/v1/route", $$"""{"text": "The whale swam under ship", "interventions": [{"layer": {{layer}}, "experts": [{{expert}}], "mode": "zero"}]}""");
        Assert.AreEqual(expert, zeroed.GetProperty("tokens")[0].GetProperty("layers")[0].GetProperty("experts")[0].GetInt32(), "zeroing keeps the routing");
        Assert.AreEqual(0f, zeroed.GetProperty("tokens")[0].GetProperty("layers")[0].GetProperty("weights")[0].GetSingle());
    }

    [TestMethod]
    public async Task GreedyCompletionIsDeterministicAndStreamsTheSameText()
    {
        var (status, first) = await Post("/v1/completions", """{"prompt": "The whale", "max_tokens": 6}""");
        Assert.AreEqual(HttpStatusCode.OK, status, first.ToString());
        var (_, second) = await Post("/v1/completions", """{"prompt": "The whale", "max_tokens": 6}""");
        Assert.AreEqual(first.GetProperty("text").GetString(), second.GetProperty("text").GetString());

        using var response = await _http.PostAsync("/v1/completions", new StringContent("""{"prompt": "The whale", "max_tokens": 6, "stream": true}""", Encoding.UTF8, "application/json"));
        Assert.AreEqual("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual("data: [DONE]", events[^1]);
        var streamed = string.Concat(events.Where(e => e.Contains("\"token\"")).Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("token").GetString()));
        Assert.AreEqual(first.GetProperty("text").GetString(), streamed);

        var (_, sampled) = await Post("/v1/completions", """{"prompt": "The whale", "max_tokens": 5, "temperature": 0.8, "top_k": 20, "top_p": 0.9, "seed": 3}""");
        Assert.AreEqual(5, sampled.GetProperty("tokens").GetArrayLength());
    }

    [TestMethod]
    public async Task GenerationPastTheModelsLengthRestartsTheCache()
    {
        var prompt = string.Concat(Enumerable.Repeat("The whale swam under the ship. ", 30));
        Assert.IsGreaterThan(200, _model.Tokenizer.Encode(prompt).Length);
        var (status, body) = await Post("/v1/completions", JsonSerializer.Serialize(new { prompt, max_tokens = 100, temperature = 0.7, seed = 1 }));
        Assert.AreEqual(HttpStatusCode.OK, status, body.ToString());
        Assert.IsGreaterThan(0, body.GetProperty("tokens").GetArrayLength());
    }

    [TestMethod]
    public async Task LoglikelihoodMatchesTheGreedyContinuation()
    {
        var (_, completion) = await Post("/v1/completions", """{"prompt": "The captain", "max_tokens": 3}""");
        var continuation = completion.GetProperty("text").GetString()!;
        var (status, body) = await Post("/v1/loglikelihood", JsonSerializer.Serialize(new { requests = new[] { new { context = "The captain", continuation } } }));
        Assert.AreEqual(HttpStatusCode.OK, status, body.ToString());
        var result = body.GetProperty("results")[0];
        Assert.IsLessThan(0, result.GetProperty("logprob").GetDouble());
        Assert.IsTrue(result.GetProperty("is_greedy").GetBoolean() || _model.Tokenizer.Encode("The captain" + continuation).Length != _model.Tokenizer.Encode("The captain").Length + 3,
            "the greedy continuation is greedy (unless re-tokenizing the joined text merges differently)");
    }

    [TestMethod]
    public async Task BadRequestsGetJsonErrorsAndTheServerStaysUp()
    {
        foreach (var (path, json, expected) in new[]
        {
            ("/v1/route", "{not json", HttpStatusCode.BadRequest),
            ("/v1/route", """{"text": "a", "colour": "red"}""", HttpStatusCode.BadRequest),
            ("/v1/route", """{"text": ""}""", HttpStatusCode.BadRequest),
            ("/v1/route", """{"text": "a", "interventions": [{"layer": 0, "experts": [1]}]}""", HttpStatusCode.BadRequest),
            ("/v1/route", """{"text": "a", "interventions": [{"layer": 1, "experts": [99]}]}""", HttpStatusCode.BadRequest),
            ("/v1/route", """{"text": "a", "interventions": [{"layer": 1, "experts": [1], "mode": "off"}]}""", HttpStatusCode.BadRequest),
            ("/v1/completions", """{"prompt": "a", "max_tokens": 100000}""", HttpStatusCode.BadRequest),
            ("/v1/route", JsonSerializer.Serialize(new { text = string.Concat(Enumerable.Repeat("whale ship captain ", 400)) }), HttpStatusCode.RequestEntityTooLarge),
        })
        {
            var (status, body) = await Post(path, json);
            Assert.AreEqual(expected, status, $"{path} {json[..Math.Min(60, json.Length)]}: {body}");
            Assert.IsFalse(string.IsNullOrEmpty(body.GetProperty("error").GetProperty("message").GetString()));
        }

        using var experts = await _http.GetAsync("/v1/experts/1/0");
        Assert.AreEqual(HttpStatusCode.NotFound, experts.StatusCode, "no traces configured");
        var (ok, _) = await Post("/v1/route", """{"text": "still up"}""");
        Assert.AreEqual(HttpStatusCode.OK, ok);
    }

    [TestMethod]
    public async Task TheProbePageRoutesAndTogglesExpertsInHeadlessChromium()
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        if (chromium is null)
        {
            Assert.Inconclusive("headless Chromium is not installed (apt-get install chromium; .ci/run installs it)");
        }

        // The page routes its text on load; the link turns expert 0 of layer 1 off (mask mode).
        var start = new System.Diagnostics.ProcessStartInfo(chromium, ["--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000", "--dump-dom", _app.Urls.First() + "/#off=1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var browser = System.Diagnostics.Process.Start(start)!;
        var dom = await browser.StandardOutput.ReadToEndAsync();
        await browser.WaitForExitAsync();

        StringAssert.Contains(dom, "layer 1</th>", "a heatmap table per MoE layer");
        StringAssert.Contains(dom, "layer 2</th>");
        StringAssert.Contains(dom, "class=\"expert off\"", "the expert turned off by the link is shown off");
        var tokens = _model.Tokenizer.Encode("The whale swam under the ship while the captain watched from the deck.").Length;
        StringAssert.Contains(dom, $"{tokens} tokens", "the page routed its text through /v1/route");
    }

    [TestMethod]
    public async Task AnExpertsPreferredTokensComeFromTheTraces()
    {
        // Trace 512 tokens through the same weights the server holds, then serve with --traces.
        var traces = Path.Combine(_folder, "traces");
        var text = string.Concat(Enumerable.Range(0, 60).Select(i => $"The whale {i % 7} swam under ship {i % 5}. "));
        var ids = _model.Tokenizer.Encode(text)[..512];
        var forward = Flame.ModelGraphs.Model.FlameMoeModel.Build(_model.Config, new Flame.ModelGraphs.Model.ForwardOptions(Seed: 5)).Model;
        using (var session = new Flame.Runtime.ModelSession(Google.Protobuf.MessageExtensions.ToByteArray(Flame.Onnx.Transforms.FunctionInliner.Inline(forward))))
        {
            var writer = new Flame.Analysis.Traces.TraceWriter(traces);
            writer.WriteSamples(ids);
            Flame.Analysis.Traces.TraceExtractor.Extract(session, ids, 64, writer, "iter_0000001");
        }

        await using var server = await FlameServer.StartAsync(_model, new ServerOptions { Port = 0, Traces = traces });
        using var http = new HttpClient { BaseAddress = server.Address };
        var body = JsonDocument.Parse(await http.GetStringAsync("/v1/experts/1/0?top=5")).RootElement;
        Assert.AreEqual("iter_0000001", body.GetProperty("checkpoint").GetString());
        var tokens = body.GetProperty("tokens").EnumerateArray().ToList();
        Assert.IsNotEmpty(tokens);
        Assert.IsLessThanOrEqualTo(5, tokens.Count);
        var scores = tokens.Select(t => t.GetProperty("score").GetDouble()).ToList();
        CollectionAssert.AreEqual(scores.OrderByDescending(x => x).ToList(), scores, "best first");

        // The top token's score, recomputed from the trace's own rows.
        var top = tokens[0];
        var id = top.GetProperty("id").GetInt32();
        using var set = new Flame.Analysis.Traces.ParquetTraceSet(traces, _model.Config.Experts, _model.Config.PaddedVocab);
        var block = set.Read(set.Checkpoints[0], 2).Single();
        var rows = Enumerable.Range(0, block.TokenIds.Length).Where(r => block.TokenIds[r] == id).ToList();
        var hits = rows.Count(r => block.ExpertIndices.AsSpan(r * block.TopK, block.TopK).Contains(0));
        Assert.AreEqual(rows.Count, top.GetProperty("occurrences").GetInt64());
        Assert.AreEqual(hits, top.GetProperty("hits").GetInt64());

        using var outOfRange = await http.GetAsync("/v1/experts/1/99");
        Assert.AreEqual(HttpStatusCode.BadRequest, outOfRange.StatusCode);
    }

    [TestMethod]
    public async Task ThePageAndTheOpenApiDocumentAreServed()
    {
        StringAssert.Contains(await _http.GetStringAsync("/"), "/v1/route");
        var document = JsonDocument.Parse(await _http.GetStringAsync("/openapi.json")).RootElement;
        Assert.IsTrue(document.GetProperty("paths").TryGetProperty("/v1/completions", out _));
        var model = JsonDocument.Parse(await _http.GetStringAsync("/v1/model")).RootElement;
        Assert.AreEqual(8, model.GetProperty("experts").GetInt32());
    }
}
