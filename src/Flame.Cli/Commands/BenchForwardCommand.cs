using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Cli.Commands;

/// <summary>`flame bench forward`: session start-up and forward throughput of a model's graph on ORT.</summary>
public static class BenchForwardCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Preset or config file.", DefaultValueFactory = _ => "flame-moe-38m" };
        var set = new Option<string[]>("--set") { Description = "Config overrides (field=value), e.g. --set dispatch=gather.", AllowMultipleArgumentsPerToken = true };
        var batch = new Option<int>("--batch") { Description = "Sequences per forward pass.", DefaultValueFactory = _ => 4 };
        var sequence = new Option<int>("--seq") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 256 };
        var runs = new Option<int>("--runs") { Description = "Timed forward passes (after one warm-up).", DefaultValueFactory = _ => 5 };
        var device = DeviceOption.Create();
        var decode = new Option<int>("--decode") { Description = "Also decode N tokens per sequence after the --seq prompt with the KV cache (decoder_with_past), and report decode tokens/s.", DefaultValueFactory = _ => 0 };
        var profile = new Option<DirectoryInfo?>("--profile") { Description = "Write an ORT profile of the forward passes here and print the operators that take the time." };
        var command = new Command("forward", "Time ORT session creation and forward passes (prefill tokens/s) of a model's forward graph with seeded weights; with --decode, KV-cache decoding too.")
        {
            config, set, batch, sequence, runs, device, decode, profile,
        };
        command.SetAction(parseResult =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var c = ModelConfigs.Load(parseResult.GetValue(config)!, parseResult.GetValue(set));
            int b = parseResult.GetValue(batch), s = parseResult.GetValue(sequence);
            var settings = DeviceOption.Settings(parseResult, device);
            var profileFolder = parseResult.GetValue(profile)?.FullName;
            if (profileFolder is not null)
            {
                Directory.CreateDirectory(profileFolder);
            }

            // The prefill session is closed before the decoder's opens: a served model is one session
            // (ServedModel), so the two phases are measured one after the other, not side by side.
            using (var opened = Open(() => FlameMoeModel.Build(c, new ForwardOptions(WeightsAs.Inputs)), profileFolder is null ? settings : settings with { ProfilingPrefix = Path.Combine(profileFolder, c.Name + "-forward") }))
            {
                var session = opened.Session;
                var ids = Enumerable.Range(0, b * s).Select(i => (long)(i * 7919 % c.VocabSize)).ToArray();
                using var input = OrtValue.FromArray(ids, b, s);
                var inputs = new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = input };
                session.Run(inputs, [FlameMoeModel.Logits]).Dispose(); // warm-up
                var times = new List<double>();
                var clock = Stopwatch.StartNew();
                for (var r = 0; r < parseResult.GetValue(runs); r++)
                {
                    clock.Restart();
                    session.Run(inputs, [FlameMoeModel.Logits]).Dispose();
                    times.Add(clock.Elapsed.TotalSeconds);
                }

                var median = times.Order().ElementAt(times.Count / 2);
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{c.Name} (dispatch {c.Dispatch}), batch {b} x {s}, {settings.Device}: build {opened.BuildSeconds:F1} s, session {opened.SessionSeconds:F1} s, forward (prefill) median {median * 1000:F0} ms = {b * s / median:F0} tokens/s, peak RSS {PeakRssMiB()} MiB"));
                if (profileFolder is not null)
                {
                    ProfileReport.Write(o, OrtProfile.ByOperator(session.EndProfiling()));
                }
            }

            if (parseResult.GetValue(decode) is > 0 and var tokens)
            {
                GC.Collect();   // the prefill session's weights are garbage now: the decode phase is measured on its own

                var result = DecodeBenchmark.Run(c, settings, b, s, tokens);
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"decode with KV cache: {tokens} tokens x {b} sequences after a {s}-token prefill ({result.PrefillSeconds * 1000:F0} ms): {result.DecodeSeconds / tokens * 1000:F1} ms/step = {result.DecodeTokensPerSecond(b):F0} tokens/s, peak RSS {PeakRssMiB()} MiB"));
            }

            return 0;
        });
        return command;
    }

    /// <summary>A session on a freshly built graph, and how long building and opening took.</summary>
    internal sealed record OpenedModel(ModelSession Session, double BuildSeconds, double SessionSeconds) : IDisposable
    {
        public void Dispose() => Session.Dispose();
    }

    /// <summary>
    /// Builds the graph with its seeded weights supplied by the session (ModelSession.WithWeights), as a
    /// served model's are, and opens the session.
    /// </summary>
    internal static OpenedModel Open(Func<ForwardGraph> build, SessionSettings settings, ulong seed = 1234)
    {
        var clock = Stopwatch.StartNew();
        var graph = build();
        var weights = graph.Parameters.ToDictionary(p => p.Name, p => OrtValue.FromArray(WeightInitializer.Create(p, seed), p.Shape));
        var built = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var session = ModelSession.WithWeights(graph.Model, weights, settings);
        return new OpenedModel(session, built, clock.Elapsed.TotalSeconds);
    }

    private static long PeakRssMiB()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64 >> 20;
    }
}
