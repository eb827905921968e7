using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Autodiff.Tests;

/// <summary>
/// Checks the autodiff's gradients against central finite differences in double precision.
/// The scalar tested is Σ y · r for a fixed random r, so every element of y counts with its own
/// weight. Each sampled element's analytic gradient must agree with (f(x+ε) − f(x−ε)) / 2ε.
/// </summary>
public static class GradientCheck
{
    public static void Check(ModelProto forward, IReadOnlyDictionary<string, TestTensor> inputs, string[] wrt, string output = "y",
        double tolerance = 1e-6, int samplesPerInput = 40, int seed = 7, double epsilon = 1e-6)
    {
        var random = new Random(seed);
        var lossModel = WithWeightedSum(forward, inputs, output, random);
        var gradientModel = Differentiator.Differentiate(lossModel, new GradientRequest("loss", wrt));

        using var gradientSession = new ModelSession(gradientModel.ToByteArray());
        var gradients = Run(gradientSession, inputs, wrt.Select(w => w + ".grad").ToArray());
        using var lossSession = new ModelSession(lossModel.ToByteArray());

        foreach (var name in wrt)
        {
            var x = (double[])inputs[name].Data;
            var analytic = gradients[name + ".grad"];
            Assert.HasCount(x.Length, analytic, $"gradient of {name} has the input's size");
            var positions = x.Length <= samplesPerInput ? Enumerable.Range(0, x.Length) : Enumerable.Range(0, samplesPerInput).Select(_ => random.Next(x.Length));
            foreach (var i in positions)
            {
                var numeric = FiniteDifference(lossSession, inputs, name, i, epsilon);
                Assert.AreEqual(numeric, analytic[i], tolerance + tolerance * Math.Abs(numeric),
                    $"d loss / d {name}[{i}]: finite difference {numeric:G10}, autodiff {analytic[i]:G10}");
            }
        }
    }

    /// <summary>Central difference of the loss along one element of one input.</summary>
    public static double FiniteDifference(ModelSession lossSession, IReadOnlyDictionary<string, TestTensor> inputs, string name, int index, double epsilon)
    {
        var x = (double[])inputs[name].Data;
        var saved = x[index];
        try
        {
            x[index] = saved + epsilon;
            var up = Run(lossSession, inputs, ["loss"])["loss"][0];
            x[index] = saved - epsilon;
            var down = Run(lossSession, inputs, ["loss"])["loss"][0];
            return (up - down) / (2 * epsilon);
        }
        finally
        {
            x[index] = saved;
        }
    }

    public static Dictionary<string, double[]> Run(ModelSession session, IReadOnlyDictionary<string, TestTensor> inputs, string[] outputs)
    {
        var values = ToOrtValues(inputs);
        try
        {
            using var results = session.Run(values, outputs);
            return outputs.ToDictionary(o => o, o => results[o].ToArray<double>());
        }
        finally
        {
            foreach (var value in values.Values)
            {
                value.Dispose();
            }
        }
    }

    public static Dictionary<string, OrtValue> ToOrtValues(IReadOnlyDictionary<string, TestTensor> inputs) => inputs.ToDictionary(i => i.Key, i => i.Value.Data switch
    {
        double[] d => OrtValue.FromArray(d, i.Value.Shape),
        long[] l => OrtValue.FromArray(l, i.Value.Shape),
        bool[] b => OrtValue.FromArray(b, i.Value.Shape),
        _ => throw new ArgumentException("unsupported test tensor"),
    });

    /// <summary>forward + loss = ReduceSum(y · r), r random with y's shape (found by running the forward once).</summary>
    private static ModelProto WithWeightedSum(ModelProto forward, IReadOnlyDictionary<string, TestTensor> inputs, string output, Random random)
    {
        long[] shape;
        using (var session = new ModelSession(forward.ToByteArray()))
        {
            var values = ToOrtValues(inputs);
            using var results = session.Run(values, [output]);
            shape = results[output].Shape;
            foreach (var value in values.Values)
            {
                value.Dispose();
            }
        }

        var model = forward.Clone();
        var weights = Enumerable.Range(0, (int)shape.Aggregate(1L, (n, d) => n * d)).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        model.Graph.Initializer.Add(OnnxTensors.Create<double>("loss_weights", weights, shape));
        var multiply = new NodeProto { OpType = "Mul", Name = "loss_mul" };
        multiply.Input.AddRange([output, "loss_weights"]);
        multiply.Output.Add("weighted");
        var sum = new NodeProto { OpType = "ReduceSum", Name = "loss_sum" };
        sum.Input.Add("weighted");
        sum.Output.Add("loss");
        sum.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        model.Graph.Node.AddRange([multiply, sum]);
        model.Graph.Output.Add(new ValueInfoProto { Name = "loss", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Double } } });
        return model;
    }
}
