using System.Runtime.InteropServices;

namespace Flame.Native.Mpi;

/// <summary>
/// The few MPI calls distributed training needs, bound to Open MPI's libmpi.so.40 (Debian's
/// openmpi-bin / libopenmpi-dev 4.1). Why not MPI.NET 1.4.0 from NuGet: it binds msmpi.dll with
/// MS-MPI's ABI, where communicators and datatypes are int handles; Open MPI's are pointers to
/// predefined objects (&amp;ompi_mpi_comm_world ...), so MPI.NET redirected to libmpi.so.40
/// segfaults in its first call (measured under mpirun -np 2, 2026-12-01). Here the handles are
/// those objects' addresses, read with dlsym, and every call is a function pointer from the same
/// library. The library is opened RTLD_GLOBAL, as mpi4py does, so Open MPI's plugins (which it
/// dlopens) see its symbols.
/// </summary>
public sealed unsafe partial class OpenMpiLibrary
{
    public const string FileName = "libmpi.so.40";
    public const int Success = 0;
    public const int ThreadSerialized = 2;

    private static readonly Lazy<OpenMpiLibrary> Shared = new(() => new OpenMpiLibrary());

    private OpenMpiLibrary()
    {
        const int RtldNow = 2, RtldGlobal = 0x100;
        Handle = dlopen(FileName, RtldNow | RtldGlobal);
        if (Handle == 0)
        {
            throw new DllNotFoundException($"distributed training needs Open MPI's {FileName}, which is not installed here ({Marshal.PtrToStringUTF8(dlerror())}); on Debian or Ubuntu: apt-get install openmpi-bin");
        }

        CommWorld = Symbol("ompi_mpi_comm_world");
        Byte = Symbol("ompi_mpi_byte");
        Float = Symbol("ompi_mpi_float");
        Double = Symbol("ompi_mpi_double");
        Init = (delegate* unmanaged<int*, nint, int, int*, int>)Symbol("MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Symbol("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Symbol("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Symbol("MPI_Finalize");
        Abort = (delegate* unmanaged<nint, int, int>)Symbol("MPI_Abort");
        CommRank = (delegate* unmanaged<nint, int*, int>)Symbol("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Symbol("MPI_Comm_size");
        CommSplit = (delegate* unmanaged<nint, int, int, nint*, int>)Symbol("MPI_Comm_split");
        CommFree = (delegate* unmanaged<nint*, int>)Symbol("MPI_Comm_free");
        Ialltoallv = (delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, nint*, int>)Symbol("MPI_Ialltoallv");
        Iallgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, nint*, int>)Symbol("MPI_Iallgatherv");
        Ibarrier = (delegate* unmanaged<nint, nint*, int>)Symbol("MPI_Ibarrier");
        Test = (delegate* unmanaged<nint*, int*, nint, int>)Symbol("MPI_Test");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Symbol("MPI_Error_string");
    }

    /// <summary>The process's one binding (loads the library on first use).</summary>
    public static OpenMpiLibrary Instance => Shared.Value;

    public nint Handle { get; }

    public nint CommWorld { get; }

    public nint Byte { get; }

    public nint Float { get; }

    public nint Double { get; }

    public delegate* unmanaged<int*, nint, int, int*, int> Init { get; }

    public delegate* unmanaged<int*, int> Initialized { get; }

    public delegate* unmanaged<int*, int> Finalized { get; }

    public delegate* unmanaged<int> Finalize { get; }

    public delegate* unmanaged<nint, int, int> Abort { get; }

    public delegate* unmanaged<nint, int*, int> CommRank { get; }

    public delegate* unmanaged<nint, int*, int> CommSize { get; }

    /// <summary>MPI_Comm_split(comm, color, key, newcomm).</summary>
    public delegate* unmanaged<nint, int, int, nint*, int> CommSplit { get; }

    public delegate* unmanaged<nint*, int> CommFree { get; }

    /// <summary>MPI_Ialltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls, recvtype, comm, request).</summary>
    public delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, nint*, int> Ialltoallv { get; }

    /// <summary>MPI_Iallgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, comm, request).</summary>
    public delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, nint*, int> Iallgatherv { get; }

    public delegate* unmanaged<nint, nint*, int> Ibarrier { get; }

    /// <summary>MPI_Test(request, flag, status); status MPI_STATUS_IGNORE is null.</summary>
    public delegate* unmanaged<nint*, int*, nint, int> Test { get; }

    public delegate* unmanaged<int, byte*, int*, int> ErrorString { get; }

    /// <summary>Throws with MPI's own words for <paramref name="code"/> unless it is MPI_SUCCESS.</summary>
    public void Check(int code, string call)
    {
        if (code == Success)
        {
            return;
        }

        var text = stackalloc byte[256];   // MPI_MAX_ERROR_STRING
        var length = 0;
        var described = ErrorString(code, text, &length) == Success ? Marshal.PtrToStringUTF8((nint)text, length) : $"error {code}";
        throw new MpiException($"{call} failed: {described}");
    }

    private nint Symbol(string name)
    {
        var address = dlsym(Handle, name);
        return address != 0 ? address : throw new EntryPointNotFoundException($"{FileName} has no {name}: it is not Open MPI 4 or later");
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint dlopen(string file, int mode);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint dlsym(nint handle, string name);

    [LibraryImport("libc")]
    private static partial nint dlerror();
}
