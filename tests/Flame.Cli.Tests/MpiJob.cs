using System.Diagnostics;
using System.Text;

namespace Flame.Cli.Tests;

/// <summary>
/// Runs the built flame under Open MPI's mpirun (Debian's openmpi-bin, which .ci/run installs),
/// the way a user launches data-parallel training, with a time limit so a hang fails the test
/// instead of the suite.
/// </summary>
internal sealed class MpiJob : IDisposable
{
    private readonly Process _mpirun;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly string _marker = Guid.NewGuid().ToString("N");

    public MpiJob(int ranks, params string[] flameArguments)
    {
        if (!File.Exists("/usr/bin/mpirun"))
        {
            Assert.Fail("the data-parallel tests need Open MPI's mpirun: apt-get install openmpi-bin (.ci/run does)");
        }

        var start = new ProcessStartInfo("/usr/bin/mpirun") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["--oversubscribe", "--allow-run-as-root", "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), Path.Combine(AppContext.BaseDirectory, "flame"), .. flameArguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["FLAME_TEST_JOB"] = _marker;   // finds this job's ranks among the machine's processes
        _mpirun = Process.Start(start)!;
        _mpirun.OutputDataReceived += (_, e) => Append(_output, e.Data);
        _mpirun.ErrorDataReceived += (_, e) => Append(_error, e.Data);
        _mpirun.BeginOutputReadLine();
        _mpirun.BeginErrorReadLine();
    }

    /// <summary>Runs a job to its end.</summary>
    public static (int ExitCode, string Output, string Error) Run(int ranks, params string[] flameArguments)
    {
        using var job = new MpiJob(ranks, flameArguments);
        return job.WaitForExit(TimeSpan.FromMinutes(2));
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The job's exit code and what it printed, once it has ended (failing the test when it outlives <paramref name="limit"/>).</summary>
    public (int ExitCode, string Output, string Error) WaitForExit(TimeSpan limit)
    {
        if (!_mpirun.WaitForExit(limit))
        {
            _mpirun.Kill(entireProcessTree: true);
            Assert.Fail($"the MPI job did not end within {limit.TotalSeconds:0} s:\n{Output}\n{_error}");
        }

        _mpirun.WaitForExit();   // and its output
        lock (_error)
        {
            return (_mpirun.ExitCode, Output, _error.ToString());
        }
    }

    /// <summary>
    /// Waits until no rank of this job runs any more. When one rank dies, mpirun may end before
    /// the others do: a survivor blocked in an exchange ends at its collective timeout.
    /// </summary>
    public void WaitForRanksToEnd(TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (Ranks().Any())
        {
            Assert.IsLessThan(limit.TotalSeconds, clock.Elapsed.TotalSeconds, $"a rank of the job still runs after {limit.TotalSeconds:0} s:\n{Output}");
            Thread.Sleep(200);
        }
    }

    /// <summary>The process id of rank <paramref name="rank"/> of this job.</summary>
    public int PidOfRank(int rank) =>
        Ranks().Where(r => r.Rank == rank).Select(r => r.Pid).FirstOrDefault(-1) is var pid and >= 0 ? pid : throw new InvalidOperationException($"rank {rank} of the job is not running");

    // The job's rank processes: their flame processes carrying this job's marker.
    private IEnumerable<(int Pid, int Rank)> Ranks()
    {
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), out var pid))
            {
                string environment;
                try
                {
                    environment = File.ReadAllText(Path.Combine(folder, "environ"));
                }
                catch (IOException)
                {
                    continue;   // the process ended meanwhile
                }
                catch (UnauthorizedAccessException)
                {
                    continue;
                }

                var variables = environment.Split('\0');
                var rank = variables.FirstOrDefault(v => v.StartsWith("OMPI_COMM_WORLD_RANK=", StringComparison.Ordinal));
                if (variables.Contains($"FLAME_TEST_JOB={_marker}") && rank is not null && IsFlame(folder))
                {
                    yield return (pid, int.Parse(rank["OMPI_COMM_WORLD_RANK=".Length..], System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }
    }

    // The rank's own process, not a helper it started (which inherits its environment).
    private static bool IsFlame(string folder)
    {
        try
        {
            return File.ReadAllText(Path.Combine(folder, "cmdline")).Split('\0').FirstOrDefault()?.EndsWith("flame", StringComparison.Ordinal) == true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Sends <paramref name="signal"/> (KILL, STOP ...) to rank <paramref name="rank"/>.</summary>
    public void Signal(int rank, string signal) => Kill(PidOfRank(rank), signal);

    private static void Kill(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!_mpirun.HasExited)
        {
            _mpirun.Kill(entireProcessTree: true);
        }

        _mpirun.Dispose();
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is not null)
        {
            lock (text)
            {
                text.AppendLine(line);
            }
        }
    }
}
