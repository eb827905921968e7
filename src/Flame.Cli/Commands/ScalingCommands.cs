using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Flame.Analysis.Scaling;
using Flame.Onnx.IO;

namespace Flame.Cli.Commands;

/// <summary>`flame scaling fit|plan`: FLAME-MoE's scaling-law tooling.</summary>
public static class ScalingCommands
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create()
    {
        var scaling = new Command("scaling", "Fit L(N, D) = E + A/N^alpha + B/D^beta to finished runs, and plan compute-optimal runs.");
        scaling.Subcommands.Add(CreateFit());
        scaling.Subcommands.Add(CreatePlan());
        return scaling;
    }

    private static Command CreateFit()
    {
        var runs = new Option<FileInfo>("--runs")
        {
            Description = "CSV of finished runs with the header active_params,tokens,loss (final validation loss).",
            Required = true,
        };
        var output = new Option<FileInfo?>("--out") { Description = "Also write the fitted law as JSON here (input to `flame scaling plan --fit`)." };
        var fit = new Command("fit", "Fit the scaling law with a Huber loss (delta 1e-3) on log loss, L-BFGS from a grid of 4,500 starts.")
        {
            runs, output,
        };
        fit.SetAction(parseResult =>
        {
            var observations = ScalingObservation.ReadCsv(parseResult.GetValue(runs)!.FullName);
            var result = ScalingLawFitter.Fit(observations);
            var law = result.Law;
            var console = parseResult.InvocationConfiguration.Output;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"L(N, D) = {law.E:G5} + {law.A:G5} / N^{law.Alpha:G4} + {law.B:G5} / D^{law.Beta:G4}"));
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{observations.Count} runs, Huber objective {result.Objective:G3}, {result.StartsConverged} of {result.StartsTried} starts converged"));
            if (parseResult.GetValue(output) is { } file)
            {
                AtomicFile.WriteAllText(file.FullName, JsonSerializer.Serialize(law, Json));
                console.WriteLine($"wrote {file.FullName}");
            }

            return 0;
        });
        return fit;
    }

    private static Command CreatePlan()
    {
        var flops = new Option<double>("--flops") { Description = "Training compute budget C in FLOPs (C = 6 N D), e.g. 1e20.", Required = true };
        var fitFile = new Option<FileInfo?>("--fit") { Description = "A law written by `flame scaling fit --out`; default: FLAME-MoE's published fit." };
        var plan = new Command("plan", "The compute-optimal active parameters and tokens for a FLOP budget.") { flops, fitFile };
        plan.SetAction(parseResult =>
        {
            var law = parseResult.GetValue(fitFile) is { } file
                ? JsonSerializer.Deserialize<ScalingLaw>(File.ReadAllText(file.FullName))
                  ?? throw new InvalidDataException($"{file.FullName}: not a scaling law written by `flame scaling fit`")
                : ScalingLaw.FlameMoePublished;
            var result = law.PlanFor(parseResult.GetValue(flops));
            parseResult.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"C = {result.Flops:G3} FLOPs: N* = {result.ActiveParameters / 1e6:F1}M active parameters, D* = {result.Tokens / 1e9:F2}B tokens, predicted loss {result.PredictedLoss:F4}"));
            return 0;
        });
        return plan;
    }
}
