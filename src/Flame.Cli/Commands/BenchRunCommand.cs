using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Flame.Onnx.Proto;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Cli.Commands;

/// <summary>
/// `flame bench run`: what one ORT Run costs us beyond the kernels, on a one-node model
/// (z = x + y over 3 floats), the two ways the platform runs sessions: with IOBinding
/// (tensors bound once, as the training loop does) and with outputs ORT allocates per run
/// (as eval, trace and the server do).
/// </summary>
public static class BenchRunCommand
{
    public static Command Create()
    {
        var runs = new Option<int>("--runs") { Description = "Timed runs of each kind (after as many warm-up runs).", DefaultValueFactory = _ => 200_000 };
        var command = new Command("run", "Time the per-Run overhead of ORT sessions (IOBinding, and ORT-allocated outputs) on a one-node model.") { runs };
        command.SetAction(parseResult =>
        {
            var n = parseResult.GetValue(runs);
            using var session = new ModelSession(AddModel(), new SessionSettings { IntraOpThreads = 1 });
            using var x = OrtValue.FromArray(new float[] { 1, 2, 3 }, 1, 3);
            using var y = OrtValue.FromArray(new float[] { 4, 5, 6 }, 1, 3);
            using var z = OrtValue.FromArray(new float[3], 1, 3);
            using var binding = session.CreateIoBinding();
            binding.BindInput("x", x);
            binding.BindInput("y", y);
            binding.BindOutput("z", z);
            var bound = Time(n, () => session.Run(binding));
            var inputs = new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = y };
            string[] outputs = ["z"];
            var allocated = Time(n, () => session.Run(inputs, outputs).Dispose());
            parseResult.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"per Run ({n:N0} runs each, one Add of 3 floats, 1 thread): IOBinding {bound:F2} µs, ORT-allocated outputs {allocated:F2} µs"));
            return 0;
        });
        return command;
    }

    /// <summary>Microseconds per call, over <paramref name="n"/> calls after as many warm-up calls.</summary>
    private static double Time(int n, Action run)
    {
        for (var i = 0; i < n; i++)
        {
            run();
        }

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            run();
        }

        return clock.Elapsed.TotalMicroseconds / n;
    }

    private static byte[] AddModel()
    {
        static ValueInfoProto Tensor(string name) => new()
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = 1 }, new TensorShapeProto.Types.Dimension { DimValue = 3 } } } } },
        };
        var graph = new GraphProto { Name = "add", Input = { Tensor("x"), Tensor("y") }, Output = { Tensor("z") } };
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "x", "y" }, Output = { "z" } });
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "flame-bench" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }
}
