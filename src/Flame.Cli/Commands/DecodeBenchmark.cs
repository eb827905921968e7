using System.Diagnostics;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Cli.Commands;

/// <summary>
/// Decoding with the KV cache (decoder_with_past's graph): a prefill of the prompt, then one
/// token per sequence per step. The cache stays where the session computes (outputs bound to
/// the device, fed back as the next step's inputs), as a serving loop would keep it.
/// </summary>
internal static class DecodeBenchmark
{
    public sealed record Result(double PrefillSeconds, double DecodeSeconds, int Steps)
    {
        public double DecodeTokensPerSecond(int batch) => batch * Steps / DecodeSeconds;
    }

    public static Result Run(ModelConfig c, SessionSettings settings, int batch, int prompt, int steps)
    {
        if (prompt + steps > c.MaxSequenceLength)
        {
            throw new ArgumentException($"--seq {prompt} + --decode {steps} exceeds the model's max_seq_len {c.MaxSequenceLength}");
        }

        using var opened = BenchForwardCommand.Open(() => FlameMoeModel.Build(c, new ForwardOptions(WeightsAs.Inputs, KvCache: true)), settings);
        var session = opened.Session;
        using var memory = DeviceMemories.For(settings.Device);
        var cacheNames = Enumerable.Range(0, c.Layers).SelectMany(l => new[] { "key", "value" }.Select(kv => (Past: FlameMoeModel.PastKeyValue(l, kv), Present: FlameMoeModel.PresentKeyValue(l, kv)))).ToList();

        RunResults Step(long[] ids, int length, RunResults? cache)
        {
            using var input = OrtValue.FromArray(ids, batch, length);
            using var binding = session.CreateIoBinding();
            binding.BindInput(FlameMoeModel.InputIds, input);
            var empty = new List<OrtValue>();
            foreach (var (past, present) in cacheNames)
            {
                if (cache is null)
                {
                    var none = OrtValue.FromArray(Array.Empty<float>(), batch, c.Heads, 0, c.HeadDim);
                    empty.Add(none);
                    binding.BindInput(past, none);
                }
                else
                {
                    binding.BindInput(past, cache[present]);
                }
            }

            foreach (var output in session.Outputs)
            {
                binding.BindOutputToDevice(output.Name, memory);
            }

            session.Run(binding);
            binding.SynchronizeBoundOutputs();
            empty.ForEach(v => v.Dispose());
            return RunResults.Of(binding);
        }

        var promptIds = Enumerable.Range(0, batch * prompt).Select(i => (long)(i * 7919 % c.VocabSize)).ToArray();
        Step(promptIds, prompt, null).Dispose();   // warm-up
        var clock = Stopwatch.StartNew();
        var cache = Step(promptIds, prompt, null);
        var prefill = clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (var t = 0; t < steps; t++)
        {
            var next = Step([.. Enumerable.Range(0, batch).Select(b => (long)((b + t) % c.VocabSize))], 1, cache);
            cache.Dispose();
            cache = next;
        }

        var decode = clock.Elapsed.TotalSeconds;
        cache.Dispose();
        return new Result(prefill, decode, steps);
    }
}
