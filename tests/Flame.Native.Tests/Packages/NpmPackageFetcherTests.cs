using Flame.Native;

namespace Flame.Native.Tests.Packages;

/// <summary>The run-time npm fetch (the same script the build uses), on a tiny real package.</summary>
[TestClass]
public sealed class NpmPackageFetcherTests
{
    private const string Spec = "is-number@7.0.0";
    private const string Integrity = "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==";

    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("flame-npm-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void FetchesVerifiesAndCopiesTheNamedFiles()
    {
        NpmPackageFetcher.Fetch(new NpmPackage(Spec, Integrity, ["package/index.js"]), _folder);
        StringAssert.Contains(File.ReadAllText(Path.Combine(_folder, "index.js")), "module.exports");
    }

    [TestMethod]
    public void AWrongIntegrityIsRefusedAndNothingIsCopied()
    {
        var forged = "sha512-" + Convert.ToBase64String(new byte[64]);
        var cache = Path.Combine(_folder, "cache");
        var error = Assert.ThrowsExactly<InvalidOperationException>(() =>
            NpmPackageFetcher.Fetch(new NpmPackage(Spec, forged, ["package/index.js"]), Path.Combine(_folder, "out"), cache));
        StringAssert.Contains(error.Message, "integrity check failed for is-number@7.0.0");
        Assert.IsFalse(File.Exists(Path.Combine(_folder, "out", "index.js")));
    }

    [TestMethod]
    public void AMissingFileInThePackageIsNamed()
    {
        var error = Assert.ThrowsExactly<InvalidOperationException>(() =>
            NpmPackageFetcher.Fetch(new NpmPackage(Spec, Integrity, ["package/no-such-file.so"]), _folder));
        StringAssert.Contains(error.Message, "does not contain package/no-such-file.so");
    }

    [TestMethod]
    public void WithoutNpmTheMessageSaysWhatToInstall()
    {
        // A PATH with the tools the script needs, but no npm.
        var bin = Directory.CreateDirectory(Path.Combine(_folder, "bin")).FullName;
        foreach (var tool in new[] { "mkdir", "flock", "cat", "rm", "ls", "cp", "tar", "openssl", "base64", "gzip" })
        {
            var path = new[] { "/usr/bin", "/bin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
            if (path is not null)
            {
                File.CreateSymbolicLink(Path.Combine(bin, tool), path);
            }
        }

        var error = Assert.ThrowsExactly<InvalidOperationException>(() =>
            NpmPackageFetcher.Fetch(new NpmPackage(Spec, Integrity, ["package/index.js"]), Path.Combine(_folder, "out"), Path.Combine(_folder, "cache"), bin));
        StringAssert.Contains(error.Message, "npm is not installed");
        StringAssert.Contains(error.Message, "apt-get install -y npm");
    }
}
