using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Flame.Data.Indexed;
using Flame.ModelGraphs.Config;
using Flame.Runtime;
using Flame.Training.Loop;

namespace Flame.Cli.Commands;

/// <summary>
/// `flame bench train`: the training loop's throughput (tokens/s, ms per step) and peak memory
/// for a config, on random tokens, with everything a real step does (batch upload, training
/// graph, optimizer graph); the same measurement as bench/train_torch.py for PyTorch.
/// </summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Preset or config file.", DefaultValueFactory = _ => "flame-moe-38m" };
        var set = new Option<string[]>("--set") { Description = "Config overrides (field=value).", AllowMultipleArgumentsPerToken = true };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 4 };
        var sequence = new Option<int>("--seq") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 256 };
        var steps = new Option<int>("--steps") { Description = "Timed steps (after --warmup steps).", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first.", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "Threads per operator (0: one per core).", DefaultValueFactory = _ => 0 };
        var device = DeviceOption.Create();
        var shards = DeviceOption.CreateExpertShards();
        var peak = new Option<double?>("--peak-tflops") { Description = "The device's peak TFLOP/s for the compute type, to report model FLOPs utilisation (e.g. 989 for H100 bf16 dense)." };
        var expertDevices = DeviceOption.CreateExpertDevices();
        var precision = DeviceOption.CreatePrecision();
        var noRecompute = DeviceOption.CreateNoRecompute();
        var profile = new Option<DirectoryInfo?>("--profile") { Description = "Write ORT profiles of the steps here and print the operators that take the time." };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file." };
        var command = new Command("train", "Time training steps (forward + backward + AdamW) of a config on random tokens: tokens/s, ms/step, peak memory.")
        {
            config, set, batch, sequence, steps, warmup, threads, device, shards, expertDevices, precision, noRecompute, peak, profile, json,
        };
        command.SetAction(parseResult =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var c = ModelConfigs.Load(parseResult.GetValue(config)!, parseResult.GetValue(set));
            int b = parseResult.GetValue(batch), s = parseResult.GetValue(sequence), timed = parseResult.GetValue(steps), untimed = parseResult.GetValue(warmup);
            var folder = Directory.CreateTempSubdirectory("flame-bench-train-").FullName;
            try
            {
                var prefix = Path.Combine(folder, "random");
                using (var writer = new IndexedDatasetWriter(prefix, c.VocabSize, overwrite: true))
                {
                    var random = new Random(1);
                    for (var d = 0; d < 4 * (timed + untimed + 1); d++)
                    {
                        writer.Add(Enumerable.Range(0, b * (s + 1)).Select(_ => random.Next(c.VocabSize)).ToArray());
                    }

                    writer.Complete();
                }

                var clock = Stopwatch.StartNew();
                var options = new TrainingOptions
                {
                    Dataset = prefix, Steps = timed + untimed, SequenceLength = s, MicroBatch = b, ValidBatches = 0, Milestones = 0,
                    CheckpointEvery = int.MaxValue, TrainFraction = 1, ValidFraction = 0, Threads = parseResult.GetValue(threads), Device = DeviceOption.Device(parseResult, device).ToString(),
                    ExpertShards = parseResult.GetValue(shards),
                    ExpertDevices = DeviceOption.ExpertDevices(parseResult, expertDevices),
                    Precision = parseResult.GetValue(precision)!,
                    Recompute = !parseResult.GetValue(noRecompute),
                    ProfilePrefix = parseResult.GetValue(profile) is { } profileFolder ? Path.Combine(Directory.CreateDirectory(profileFolder.FullName).FullName, c.Name) : null,
                };
                using var trainer = Trainer.Create(Path.Combine(folder, "run"), c, options);
                var built = clock.Elapsed.TotalSeconds;
                var reports = new List<StepReport>();
                trainer.Train(new SyncProgress<StepReport>(reports.Add));
                var measured = reports.Skip(untimed).Select(r => r.MillisecondsPerStep).Order().ToList();
                var median = measured[measured.Count / 2];
                using var process = Process.GetCurrentProcess();
                var tokensPerSecond = b * s / (median / 1000);
                var flopsPerToken = ModelFlops.TrainingPerToken(c, s);
                double? mfu = parseResult.GetValue(peak) is { } tflops ? tokensPerSecond * flopsPerToken / (tflops * 1e12) : null;
                var result = new
                {
                    config = c.Name, batch = b, seq = s, steps = timed, threads = options.Threads, device = options.Device, expert_shards = options.ExpertShards, precision = options.Precision,
                    ms_per_step_median = median, ms_per_step_mean = measured.Average(), tokens_per_s = tokensPerSecond,
                    model_flops_per_token = flopsPerToken, mfu,
                    peak_rss_mib = process.PeakWorkingSet64 >> 20, build_s = built,
                };
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{c.Name}, batch {b} x {s}, {options.Device}, {options.Precision}: {median:F0} ms/step median ({result.ms_per_step_mean:F0} mean) = {result.tokens_per_s:F0} tokens/s{(mfu is { } u ? $", MFU {u:P1}" : "")}; peak RSS {result.peak_rss_mib} MiB; graphs built in {built:F1} s"));
                if (trainer.ProfileFiles.Count > 0)
                {
                    o.WriteLine($"profiles (warm-up steps included): {string.Join(", ", trainer.ProfileFiles)}");
                    ProfileReport.Write(o, OrtProfile.ByOperator([.. trainer.ProfileFiles]));
                }

                if (parseResult.GetValue(json) is { } path)
                {
                    File.WriteAllText(path, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
                }
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }

            return 0;
        });
        return command;
    }
}
