using System.CommandLine;
using System.Globalization;
using Flame.Analysis.Routing;
using Flame.Analysis.Traces;
using Flame.Data.Tokenization;

namespace Flame.Cli.Commands;

/// <summary>`flame analyze`: FLAME-MoE's routing analyses over a traces folder (ours or the released ones).</summary>
public static class AnalyzeCommand
{
    public static Command Create()
    {
        var traces = new Option<DirectoryInfo>("--traces")
        {
            Description = "A traces folder in the released layout: actives/iter_NNNNNNN/layer_NN.parquet and samples/*.parquet.",
            Required = true,
        };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Where the CSV tables, SVG plots and report.html go (default: TRACES/../analysis)." };
        var experts = new Option<int>("--experts") { Description = "Routed experts per MoE layer.", DefaultValueFactory = _ => 64 };
        var vocabulary = new Option<int>("--vocab-size") { Description = "Tokenizer vocabulary size (token ids must be below it).", DefaultValueFactory = _ => 50_304 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Show tokens decoded through this tokenizer (tokenizer.json, .tiktoken or a GPT-2 folder) instead of as ids." };
        var command = new Command("analyze", "Expert specialization, co-activation, router saturation and load balance from routing traces, as CSV, SVG and one HTML report.")
        {
            traces, output, experts, vocabulary, tokenizer,
        };
        command.SetAction(parseResult =>
        {
            var console = parseResult.InvocationConfiguration.Output;
            var folder = parseResult.GetValue(traces)!.FullName;
            var target = parseResult.GetValue(output)?.FullName ?? Path.Combine(Path.GetDirectoryName(folder.TrimEnd('/'))!, "analysis");
            using var set = new ParquetTraceSet(folder, parseResult.GetValue(experts), parseResult.GetValue(vocabulary));
            console.WriteLine($"analysing {set.Checkpoints.Count} checkpoints x {set.Layers.Count} MoE layers (top-{set.TopK}) from {folder}");
            var result = RoutingAnalysis.Run(set, new SyncProgress<string>(step => console.WriteLine($"  {step}")));
            var bpe = parseResult.GetValue(tokenizer) is { } path ? TokenizerFiles.Load(path) : null;
            var report = RoutingAnalysisWriter.Write(result, target, token => bpe?.Decode([token]) ?? token.ToString(CultureInfo.InvariantCulture));
            console.WriteLine($"wrote {target} (CSV tables, SVG plots); report: {report}");
            return 0;
        });
        return command;
    }
}
