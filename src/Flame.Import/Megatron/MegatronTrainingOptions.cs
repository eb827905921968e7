using Flame.Training.Losses;
using Flame.Training.Loop;
using Flame.Training.Optimization;

namespace Flame.Import.Megatron;

/// <summary>
/// Our training options for continuing a Megatron run (`flame train --resume` after
/// `import --with-optimizer`), from the args in common.pt: the same global batch (Megatron's
/// micro-batch, accumulated to its global batch in one process), sequence length, learning rates
/// and schedule fractions, AdamW settings, loss coefficients and seed. Our WSD schedule and data
/// order replace Megatron's, so the continuation is ours, not a bit-exact replay of Megatron's.
/// </summary>
public static class MegatronTrainingOptions
{
    public static TrainingOptions From(MegatronArgs args, string dataset, long iteration)
    {
        var steps = args.Long("train_iters") ?? iteration;
        var micro = args.Int("micro_batch_size") ?? 1;
        var global = args.Int("global_batch_size") ?? micro;
        double Fraction(long? iterations) => iterations is { } n && steps > 0 ? (double)n / steps : 0;
        var defaults = new TrainingOptions { Dataset = dataset, Steps = steps };
        return new TrainingOptions
        {
            Dataset = dataset,
            Steps = Math.Max(steps, iteration),
            SequenceLength = args.Int("seq_length") ?? defaults.SequenceLength,
            MicroBatch = micro,
            Accumulation = Math.Max(1, global / micro),
            LearningRate = args.Double("lr") ?? defaults.LearningRate,
            MinLearningRate = args.Double("min_lr"),
            WarmupFraction = args.Double("lr_warmup_fraction") ?? Fraction(args.Long("lr_warmup_iters")),
            DecayFraction = args.String("lr_decay_style") == "WSD" ? Fraction(args.Long("lr_wsd_decay_iters")) : defaults.DecayFraction,
            Seed = (ulong)(args.Long("seed") ?? (long)defaults.Seed),
            Losses = new LossSettings(args.Double("moe_aux_loss_coeff") ?? LossSettings.Default.LoadBalancing, args.Double("moe_z_loss_coeff") ?? LossSettings.Default.ZLoss),
            Optimizer = new AdamWSettings
            {
                Beta1 = args.Double("adam_beta1") ?? defaults.Optimizer.Beta1,
                Beta2 = args.Double("adam_beta2") ?? defaults.Optimizer.Beta2,
                Epsilon = args.Double("adam_eps") ?? defaults.Optimizer.Epsilon,
                WeightDecay = args.Double("weight_decay") ?? defaults.Optimizer.WeightDecay,
                MaxGradNorm = args.Double("clip_grad") ?? defaults.Optimizer.MaxGradNorm,
            },
        }.Validate();
    }
}
