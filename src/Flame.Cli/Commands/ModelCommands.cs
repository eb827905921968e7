using System.CommandLine;
using System.Globalization;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Models;

namespace Flame.Cli.Commands;

/// <summary>`flame model info|export-graph`: inspect a config, write its forward graph.</summary>
public static class ModelCommands
{
    public static Command Create()
    {
        var model = new Command("model", "Model configs and forward graphs of the FLAME-MoE family.");
        model.Subcommands.Add(CreateInfo());
        model.Subcommands.Add(CreateExportGraph());
        return model;
    }

    private static Option<string> ConfigOption() => new("--config")
    {
        Description = $"A preset ({string.Join(", ", ModelConfigs.Presets)}) or a JSON config file.",
        Required = true,
    };

    private static Option<string[]> SetOption() => new("--set")
    {
        Description = "Override config fields, e.g. --set top_k=2 --set layers=4 (the JSON field names).",
        AllowMultipleArgumentsPerToken = true,
    };

    private static Command CreateInfo()
    {
        var config = ConfigOption();
        var set = SetOption();
        var info = new Command("info", "Layers, widths, experts, and total/active parameters by component.") { config, set };
        info.SetAction(parseResult =>
        {
            var c = ModelConfigs.Load(parseResult.GetValue(config)!, parseResult.GetValue(set));
            var p = ParameterCount.Of(c);
            var o = parseResult.InvocationConfiguration.Output;
            static string M(long n) => (n / 1e6).ToString("N1", CultureInfo.InvariantCulture) + "M";
            o.WriteLine($"{c.Name}: {c.Layers} layers, hidden {c.Hidden}, {c.Heads} heads of {c.HeadDim}, vocabulary {c.VocabSize} (padded {c.PaddedVocab})");
            o.WriteLine(c.IsMoe
                ? $"  MoE: {c.Experts} experts (FFN {c.ExpertFfn}), top-{c.TopK}, shared expert FFN {c.SharedFfn}, first {c.DenseLayers} layer(s) dense (FFN {c.DenseFfn}), {(c.CapacityFactor is null ? "dropless" : $"capacity factor {c.CapacityFactor}")}"
                : $"  dense: SwiGLU FFN {c.DenseFfn} in every layer");
            o.WriteLine($"  parameters: total {M(p.Total)}, active {M(p.Active)}");
            o.WriteLine($"    embeddings {M(p.Embeddings)}, attention {M(p.Attention)}, dense MLPs {M(p.DenseMlp)}, norms {M(p.Norms)}");
            if (c.IsMoe)
            {
                o.WriteLine($"    routers {M(p.Routers)}, routed experts {M(p.RoutedExperts)} ({M(p.ActiveRoutedExperts)} active), shared experts {M(p.SharedExperts)}");
            }

            return 0;
        });
        return info;
    }

    private static Command CreateExportGraph()
    {
        var config = ConfigOption();
        var set = SetOption();
        var output = new Option<FileInfo>("--out") { Description = "The .onnx file to write (weights over 2 GB go to FILE.data).", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initial weights.", DefaultValueFactory = _ => 1234 };
        var opset = new Option<int>("--opset") { Description = "ai.onnx opset of the graph.", DefaultValueFactory = _ => GraphBuilder.DefaultOpset };
        var noWeights = new Option<bool>("--no-weights") { Description = "Make the weights graph inputs instead of initializers (nothing is allocated)." };
        var export = new Command("export-graph", "Write the forward graph (logits and routing outputs) with freshly initialised, seeded weights.")
        {
            config, set, output, seed, opset, noWeights,
        };
        export.SetAction(parseResult =>
        {
            var c = ModelConfigs.Load(parseResult.GetValue(config)!, parseResult.GetValue(set));
            var weights = parseResult.GetValue(noWeights) ? WeightsAs.Inputs : WeightsAs.Initializers;
            var graph = FlameMoeModel.Build(c, new ForwardOptions(weights, parseResult.GetValue(seed), parseResult.GetValue(opset)));
            var path = parseResult.GetValue(output)!.FullName;
            OnnxModelFile.Save(graph.Model, path);
            parseResult.InvocationConfiguration.Output.WriteLine(
                $"wrote {path}: {graph.Model.Graph.Node.Count} nodes, {graph.Parameters.Count} parameter tensors, {graph.MoeLayers.Count} MoE layers");
            return 0;
        });
        return export;
    }
}
