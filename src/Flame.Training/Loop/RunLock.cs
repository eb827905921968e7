namespace Flame.Training.Loop;

/// <summary>
/// An exclusive lock on a run folder for a command that writes into it (train, export): the file
/// RUN/.lock held open without sharing (an OS lock the kernel drops when the process dies, so a
/// killed run never leaves a stale lock), and RUN/.lock.owner naming the holder for the message a
/// second process gets. Two `train --resume` of one run can no longer corrupt each other's saves.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _owner;

    private RunLock(FileStream handle, string owner)
    {
        _lock = handle;
        _owner = owner;
    }

    /// <exception cref="IOException">another process holds the run; the message names its pid and command.</exception>
    public static RunLock Acquire(string run, string command)
    {
        Directory.CreateDirectory(run);
        var path = Path.Combine(run, ".lock");
        var owner = path + ".owner";
        FileStream handle;
        try
        {
            handle = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            var holder = File.Exists(owner) ? File.ReadAllText(owner).Trim() : "another process";
            throw new IOException($"{run} is in use by {holder}, which holds {path}; wait for it to finish or stop it, then run again", e);
        }

        File.WriteAllText(owner, $"flame {command} (pid {Environment.ProcessId})");
        return new RunLock(handle, owner);
    }

    public void Dispose()
    {
        File.Delete(_owner);
        _lock.Dispose();
    }
}
