using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Flame.Server;

namespace Flame.Cli.Commands;

/// <summary>
/// `flame bench serve`: a load test of the inference server over loopback: a bounded number of
/// requests (and seconds) from concurrent clients; requests/s and latency percentiles.
/// </summary>
public static class BenchServeCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "An export folder (from `flame export`).", Required = true };
        var endpoint = new Option<string>("--endpoint") { Description = "route, completions or loglikelihood.", DefaultValueFactory = _ => "route" };
        var requests = new Option<int>("--requests") { Description = "Requests in all (the test stops earlier at --max-seconds).", DefaultValueFactory = _ => 200 };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 4 };
        var concurrent = new Option<int>("--max-concurrent") { Description = "Requests the server computes at once.", DefaultValueFactory = _ => 1 };
        var seconds = new Option<int>("--max-seconds") { Description = "Stop after this many seconds.", DefaultValueFactory = _ => 60 };
        var tokens = new Option<int>("--max-tokens") { Description = "New tokens per completion.", DefaultValueFactory = _ => 16 };
        var command = new Command("serve", "Load-test `flame serve` over loopback: requests/s and p50/p99 latency of one endpoint.")
        {
            model, endpoint, requests, clients, concurrent, seconds, tokens,
        };
        command.SetAction(parseResult =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            using var served = ServedModel.Load(parseResult.GetValue(model)!.FullName);
            var server = FlameServer.StartAsync(served, new ServerOptions { Port = 0, MaxConcurrent = parseResult.GetValue(concurrent), MaxQueued = 1024 }).GetAwaiter().GetResult();
            try
            {
                using var http = new HttpClient { BaseAddress = server.Address };
                const string text = "The whale swam under the ship while the captain watched from the deck, and the sea was calm.";
                var (path, body) = parseResult.GetValue(endpoint) switch
                {
                    "route" => ("/v1/route", (object)new { text }),
                    "completions" => ("/v1/completions", new { prompt = text, max_tokens = parseResult.GetValue(tokens) }),
                    "loglikelihood" => ("/v1/loglikelihood", new { requests = new[] { new { context = text, continuation = " The end." } } }),
                    var other => throw new ArgumentException($"--endpoint: '{other}' is not route, completions or loglikelihood"),
                };
                using (var warmUp = http.PostAsJsonAsync(path, body, FlameServer.Json).GetAwaiter().GetResult())
                {
                    warmUp.EnsureSuccessStatusCode();   // the first request pays for JIT and ORT's first run; not timed
                }

                var total = parseResult.GetValue(requests);
                var deadline = Stopwatch.StartNew();
                var limit = TimeSpan.FromSeconds(parseResult.GetValue(seconds));
                var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
                var failures = 0;
                var issued = 0;
                var workers = Enumerable.Range(0, parseResult.GetValue(clients)).Select(_ => Task.Run(async () =>
                {
                    while (Interlocked.Increment(ref issued) <= total && deadline.Elapsed < limit)
                    {
                        var clock = Stopwatch.StartNew();
                        using var response = await http.PostAsJsonAsync(path, body, FlameServer.Json);
                        await response.Content.ReadAsStringAsync();
                        if (response.IsSuccessStatusCode)
                        {
                            latencies.Add(clock.Elapsed.TotalMilliseconds);
                        }
                        else
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }
                })).ToArray();
                Task.WaitAll(workers);
                var elapsed = deadline.Elapsed.TotalSeconds;
                var sorted = latencies.Order().ToList();
                double Percentile(double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{served.Config.Name} {path}: {sorted.Count} requests ({failures} failed) from {parseResult.GetValue(clients)} clients in {elapsed:F1} s = {sorted.Count / elapsed:F1} requests/s; latency p50 {Percentile(0.5):F1} ms, p99 {Percentile(0.99):F1} ms"));
            }
            finally
            {
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            return 0;
        });
        return command;
    }
}
