using System.Globalization;
using CsvHelper;
using Flame.Onnx.IO;

namespace Flame.Training.Loop;

/// <summary>
/// logs/train.csv: one row per optimizer step (losses, grad norm, learning rate, throughput,
/// validation loss where measured, and per MoE layer the expert load's max/mean and entropy).
/// A resumed run first drops rows past its checkpoint, so the log never holds a step twice.
/// </summary>
public sealed class TrainingLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly CsvWriter _csv;
    private readonly int[] _layers;

    public TrainingLog(string path, IReadOnlyList<int> moeLayers, long resumedFromStep)
    {
        Path = path;
        _layers = [.. moeLayers];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var header = Header();
        var kept = File.Exists(path) && resumedFromStep > 0
            ? File.ReadLines(path).Skip(1).Where(line => long.TryParse(line.Split(',')[0], CultureInfo.InvariantCulture, out var step) && step <= resumedFromStep).ToList()
            : [];
        AtomicFile.WriteAllText(path, string.Join(",", header) + "\n" + string.Concat(kept.Select(line => line + "\n")));
        _writer = new StreamWriter(path, append: true);
        // LF like the header and the rows kept on resume (CsvHelper's default is CRLF).
        _csv = CsvWriter.Create(_writer, new CsvWriterOptions { NewLine = "\n" }, leaveOpen: true);
    }

    public string Path { get; }

    private string[] Header() =>
    [
        "step", "tokens", "loss", "lm_loss", "load_balancing_loss", "z_loss", "grad_norm", "lr", "tokens_per_s", "ms_per_step", "valid_loss",
        .. _layers.SelectMany(l => new[] { $"load_max_over_mean.{l}", $"load_entropy.{l}" }),
    ];

    public void Write(StepReport r)
    {
        string F(double v) => v.ToString("G9", CultureInfo.InvariantCulture);
        _csv.WriteRecord([
            r.Step.ToString(CultureInfo.InvariantCulture), r.Tokens.ToString(CultureInfo.InvariantCulture), F(r.Loss), F(r.LanguageModelLoss),
            F(r.LoadBalancingLoss), F(r.ZLoss), F(r.GradNorm), F(r.LearningRate), F(r.TokensPerSecond), F(r.MillisecondsPerStep),
            r.ValidationLoss is { } v ? F(v) : "",
            .. r.ExpertLoads.SelectMany(l => new[] { F(l.MaxOverMean), F(l.NormalizedEntropy) }),
        ]);
        _csv.Flush();
        _writer.Flush();
    }

    public void Dispose()
    {
        _csv.Dispose();
        _writer.Dispose();
    }
}
