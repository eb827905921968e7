using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Flame.Evaluation.Tasks;
using Flame.Training.Checkpoints;
using Flame.Training.Loop;

namespace Flame.Cli.Commands;

/// <summary>
/// `flame quickstart`: the whole platform end to end on the embedded default: demo corpus →
/// tokenizer → indexed dataset → a small MoE and its FLOP-matched dense baseline trained with
/// checkpoints → validation loss per checkpoint (and tasks, given data) → export → routing traces
/// → analyses → one HTML report. Each stage is one `flame` command, run as a user would run it;
/// a stage whose outputs exist is skipped, so re-running continues where it stopped.
/// </summary>
public static class QuickstartCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder for everything the quickstart writes.", DefaultValueFactory = _ => Path.Combine("artifacts", "quickstart") };
        var config = new Option<string>("--config") { Description = "The MoE to train (a preset or JSON file).", DefaultValueFactory = _ => "quickstart-moe" };
        var dense = new Option<string>("--dense-config") { Description = "Its FLOP-matched dense baseline (same active parameters per token).", DefaultValueFactory = _ => "quickstart-dense" };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps per model.", DefaultValueFactory = _ => 600 };
        var device = DeviceOption.Create();
        var tasks = new Option<string?>("--task-data") { Description = "Optional: a folder of task data (docs/evaluation.md) to also evaluate zero/few-shot accuracy." };
        var traceTokens = new Option<int>("--trace-tokens") { Description = "Held-out tokens routed through every checkpoint for the traces.", DefaultValueFactory = _ => 16_384 };
        var command = new Command("quickstart", "Run the whole pipeline on the embedded demo corpus (CPU, minutes): data, tokenizer, MoE + dense training, evaluation, export, traces, analyses, report.")
        {
            output, config, dense, steps, device, tasks, traceTokens,
        };
        command.SetAction(parseResult =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var root = Path.GetFullPath(parseResult.GetValue(output)!);
            var pipeline = new Pipeline(root, o, parseResult.InvocationConfiguration.Error);
            var text = Path.Combine(root, "data", "demo-text");
            var tokenizer = Path.Combine(root, "tokenizer.json");
            var dataset = Path.Combine(root, "data", "demo");
            var runs = new[] { ("moe", parseResult.GetValue(config)!), ("dense", parseResult.GetValue(dense)!) };
            var stepCount = parseResult.GetValue(steps).ToString(CultureInfo.InvariantCulture);
            var deviceName = DeviceOption.Device(parseResult, device).ToString();

            pipeline.Stage("demo corpus", Directory.Exists(text) && Directory.EnumerateFiles(text, "*", SearchOption.AllDirectories).Any(), ["data", "demo", "--out", text]);
            pipeline.Stage("tokenizer", File.Exists(tokenizer), ["tokenizer", "train", "--input", text, "--vocab-size", "8192", "--out", tokenizer]);
            pipeline.Stage("indexed dataset", File.Exists(dataset + ".idx"), ["data", "tokenize", "--input", text, "--tokenizer", tokenizer, "--out", dataset]);
            var cloze = Path.Combine(root, "data", "cloze");
            pipeline.Stage("cloze set (held-out documents)", File.Exists(LambadaClozeSet.FileIn(cloze)), ["data", "cloze", "--dataset", dataset, "--tokenizer", tokenizer, "--out", cloze]);
            foreach (var (name, preset) in runs)
            {
                var run = Path.Combine(root, "runs", name);
                var started = new CheckpointStore(run).LatestStep() is not null;
                var finished = started && Finished(run);
                var validEvery = Math.Max(1, parseResult.GetValue(steps) / 10).ToString(CultureInfo.InvariantCulture);
                pipeline.Stage($"train {name} ({preset})", finished, started
                    ? ["train", "--resume", run, "--log-every", "50"]
                    : ["train", "--config", preset, "--data", dataset, "--tokenizer", tokenizer, "--run", run, "--steps", stepCount, "--seq", "128",
                        "--micro-batch", "8", "--lr", "2e-3", "--valid-every", validEvery, "--device", deviceName, "--log-every", "50"]);
                // Validation loss and the harness's lambada_openai on the held-out cloze set, every checkpoint.
                pipeline.Stage($"evaluate {name}", File.Exists(Path.Combine(run, "eval", "summary.md")),
                    ["eval", "--run", run, "--dataset", dataset, "--seq-len", "128", "--windows", "64", "--data", cloze, "--tasks", "lambada_openai",
                        "--out", Path.Combine(run, "eval"), "--device", deviceName]);
                if (parseResult.GetValue(tasks) is { } taskData)
                {
                    pipeline.Stage($"evaluate {name} on {taskData}", false, ["eval", "--run", run, "--data", taskData, "--out", Path.Combine(run, "eval"), "--device", deviceName]);
                }
            }

            var moe = Path.Combine(root, "runs", "moe");
            var traces = Path.Combine(moe, "traces");
            pipeline.Stage("export moe", Directory.Exists(Path.Combine(moe, "export")), ["export", "--run", moe]);
            pipeline.Stage("trace moe", Directory.Exists(Path.Combine(traces, "actives")), ["trace", "--run", moe, "--dataset", dataset, "--tokens",
                parseResult.GetValue(traceTokens).ToString(CultureInfo.InvariantCulture), "--seq-len", "128", "--out", traces, "--device", deviceName]);
            var moeConfig = Flame.ModelGraphs.Config.ModelConfigs.Load(Path.Combine(moe, RunFiles.Config));
            pipeline.Stage("analyze moe", File.Exists(Path.Combine(moe, "analysis", "report.html")), ["analyze", "--traces", traces, "--out", Path.Combine(moe, "analysis"),
                "--experts", moeConfig.Experts.ToString(CultureInfo.InvariantCulture), "--vocab-size", moeConfig.PaddedVocab.ToString(CultureInfo.InvariantCulture), "--tokenizer", tokenizer]);

            var findings = QuickstartFindings.Measure(moe, Path.Combine(root, "runs", "dense"), moeConfig.TopK);
            var report = QuickstartReport.Write(root, runs.Select(r => (r.Item1, Path.Combine(root, "runs", r.Item1))).ToList(), findings);
            o.WriteLine();
            o.WriteLine("FLAME-MoE's findings at this scale:");
            foreach (var finding in findings)
            {
                o.WriteLine($"  {(finding.Reproduced ? "reproduced    " : "not reproduced")}  {finding.Claim}: {finding.Measured}");
            }

            o.WriteLine();
            o.WriteLine($"done in {pipeline.Elapsed:hh\\:mm\\:ss}. Results:");
            o.WriteLine($"  report:        {report}");
            o.WriteLine($"  runs:          {Path.Combine(root, "runs")} (checkpoints/, logs/train.csv, eval/ per model)");
            o.WriteLine($"  export:        {Path.Combine(moe, "export")}");
            o.WriteLine($"  traces:        {traces}");
            o.WriteLine($"  analyses:      {Path.Combine(moe, "analysis", "report.html")}");
            o.WriteLine($"  data:          {dataset}.bin/.idx, tokenizer {tokenizer}");
            return 0;
        });
        return command;
    }

    private static bool Finished(string run)
    {
        var options = System.Text.Json.JsonSerializer.Deserialize<TrainingOptions>(File.ReadAllText(Path.Combine(run, RunFiles.Options)), TrainingOptions.Json);
        return options is not null && new CheckpointStore(run).LatestStep() >= options.Steps;
    }

    /// <summary>Runs stages as `flame` commands in this process, skipping finished ones.</summary>
    private sealed class Pipeline(string root, TextWriter output, TextWriter error)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public TimeSpan Elapsed => _clock.Elapsed;

        public void Stage(string name, bool done, string[] arguments)
        {
            if (done)
            {
                output.WriteLine($"== {name}: done already (under {root}), skipped");
                return;
            }

            output.WriteLine($"== {name}: flame {string.Join(" ", arguments.Select(a => a.Contains(' ') ? $"\"{a}\"" : a))}");
            var clock = Stopwatch.StartNew();
            var code = FlameCommandLine.Run(arguments, output, error);
            if (code != 0)
            {
                throw new InvalidOperationException($"quickstart stage '{name}' failed (exit code {code}); fix the cause above and re-run: finished stages are kept");
            }

            output.WriteLine($"   {name} took {clock.Elapsed.TotalSeconds:F0} s");
        }
    }
}
