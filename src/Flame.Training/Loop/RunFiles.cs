namespace Flame.Training.Loop;

/// <summary>The files of a run directory (artifacts/RUN/), as docs/training.md lists them.</summary>
public static class RunFiles
{
    public const string Options = "run.json";
    public const string Config = "config.json";
    public const string Tokenizer = "tokenizer.json";
    public const string TrainingModel = "training_model.onnx";
    public const string EvalModel = "eval_model.onnx";
    public const string OptimizerModel = "optimizer_model.onnx";

    /// <summary>With experts sharded: each stage's forward and backward graph.</summary>
    public const string Stages = "stages";

    public static string TrainLog(string run) => Path.Combine(run, "logs", "train.csv");
}
