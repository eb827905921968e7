using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Google.Protobuf;
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
            var clock = Stopwatch.StartNew();
            var model = FunctionInliner.Inline(FlameMoeModel.Build(c).Model).ToByteArray();
            var built = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var settings = DeviceOption.Settings(parseResult, device);
            var profileFolder = parseResult.GetValue(profile)?.FullName;
            if (profileFolder is not null)
            {
                Directory.CreateDirectory(profileFolder);
            }

            using var session = new ModelSession(model, profileFolder is null ? settings : settings with { ProfilingPrefix = Path.Combine(profileFolder, c.Name + "-forward") });
            var started = clock.Elapsed.TotalSeconds;
            var ids = Enumerable.Range(0, b * s).Select(i => (long)(i * 7919 % c.VocabSize)).ToArray();
            using var input = OrtValue.FromArray(ids, b, s);
            var inputs = new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = input };
            session.Run(inputs, [FlameMoeModel.Logits]).Dispose(); // warm-up
            var times = new List<double>();
            for (var r = 0; r < parseResult.GetValue(runs); r++)
            {
                clock.Restart();
                session.Run(inputs, [FlameMoeModel.Logits]).Dispose();
                times.Add(clock.Elapsed.TotalSeconds);
            }

            var median = times.Order().ElementAt(times.Count / 2);
            using var process = Process.GetCurrentProcess();
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{c.Name} (dispatch {c.Dispatch}), batch {b} x {s}, {settings.Device}: build {built:F1} s, session {started:F1} s, forward (prefill) median {median * 1000:F0} ms = {b * s / median:F0} tokens/s, peak RSS {process.PeakWorkingSet64 >> 20} MiB"));
            if (profileFolder is not null)
            {
                ProfileReport.Write(o, OrtProfile.ByOperator(session.EndProfiling()));
            }

            if (parseResult.GetValue(decode) is > 0 and var tokens)
            {
                var result = DecodeBenchmark.Run(c, settings, b, s, tokens);
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"decode with KV cache: {tokens} tokens x {b} sequences after a {s}-token prefill ({result.PrefillSeconds * 1000:F0} ms): {result.DecodeSeconds / tokens * 1000:F1} ms/step = {result.DecodeTokensPerSecond(b):F0} tokens/s"));
            }

            return 0;
        });
        return command;
    }
}
