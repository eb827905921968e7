using Flame.Training.Loop;

namespace Flame.Training.Tests.Loop;

/// <summary>Reports synchronously (System.Progress posts to the thread pool).</summary>
internal sealed class SynchronousProgress(Action<StepReport> report) : IProgress<StepReport>
{
    public void Report(StepReport value) => report(value);
}
