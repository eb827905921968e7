using Flame.Evaluation.Tasks;
using Flame.Native.DuckDb;

namespace Flame.Evaluation.Tests;

[TestClass]
public sealed class DataFileErrorTests
{
    private string _root = null!;

    [TestInitialize]
    public void CreateFolder() => _root = Directory.CreateTempSubdirectory("flame-eval-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    public void MissingSplitNamesTheExpectedFileAndFields()
    {
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => TaskDataFiles.Load(new PiqaTask(), _root, "validation"));
        StringAssert.Contains(error.Message, Path.Combine(_root, "piqa", "validation") + ".jsonl");
        StringAssert.Contains(error.Message, "goal, sol1, sol2, label");
    }

    [TestMethod]
    public void MalformedLineNamesFileAndLine()
    {
        var file = Write("piqa", "validation.jsonl", "{\"goal\":\"g\",\"sol1\":\"a\",\"sol2\":\"b\",\"label\":0}\n{not json\n");
        var error = Assert.ThrowsExactly<InvalidDataException>(() => TaskDataFiles.Load(new PiqaTask(), _root, "validation"));
        StringAssert.Contains(error.Message, file + ":2");
    }

    [TestMethod]
    public void MissingFieldNamesTheField()
    {
        var file = Write("piqa", "validation.jsonl", "{\"goal\":\"g\",\"sol1\":\"a\",\"label\":0}\n");
        var error = Assert.ThrowsExactly<InvalidDataException>(() => TaskDataFiles.Load(new PiqaTask(), _root, "validation"));
        StringAssert.Contains(error.Message, file + ":1");
        StringAssert.Contains(error.Message, "'sol2'");
    }

    [TestMethod]
    public void AnswerKeyOutsideTheLabelsIsAnError()
    {
        Write("arc_easy", "test.jsonl", "{\"question\":\"q\",\"choices\":{\"text\":[\"a\",\"b\"],\"label\":[\"A\",\"B\"]},\"answerKey\":\"E\"}\n");
        var error = Assert.ThrowsExactly<InvalidDataException>(() => TaskDataFiles.Load(new ArcTask(false), _root, "test"));
        StringAssert.Contains(error.Message, "answerKey");
        StringAssert.Contains(error.Message, "'E'");
    }

    [TestMethod]
    public void InvalidUtf8NamesTheLine()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "boolq")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "validation.jsonl"), [.. "{\"passage\":\"a\",\"question\":\"b\",\"label\":1}\n"u8, 0x7b, 0xff, 0xfe, 0x7d, 0x0a]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => TaskDataFiles.Load(new BoolQTask(), _root, "validation"));
        StringAssert.Contains(error.Message, "invalid UTF-8");
    }

    [TestMethod]
    public void ParquetFilesAsTheHubPublishesThemReadLikeJsonLines()
    {
        // Written by DuckDB from the ARC fixture, with ARC's nested choices struct.
        var folder = Directory.CreateDirectory(Path.Combine(_root, "arc_easy")).FullName;
        var jsonl = Path.Combine(AppContext.BaseDirectory, "Fixtures", "arc_easy", "test.jsonl");
        using (var connection = DuckDbConnections.Open())
        {
            connection.Execute($"COPY (SELECT * FROM read_json('{jsonl}')) TO '{Path.Combine(folder, "test-00000-of-00001.parquet")}' (FORMAT PARQUET)");
        }

        var fromParquet = TaskDataFiles.Load(new ArcTask(false), _root, "test");
        var fromJson = TaskDataFiles.Load(new ArcTask(false), Path.Combine(AppContext.BaseDirectory, "Fixtures"), "test");
        Assert.HasCount(2, fromParquet);
        for (var i = 0; i < 2; i++)
        {
            Assert.AreEqual(fromJson[i].Text, fromParquet[i].Text);
            CollectionAssert.AreEqual(fromJson[i].Choices.ToArray(), fromParquet[i].Choices.ToArray());
            Assert.AreEqual(fromJson[i].Gold, fromParquet[i].Gold);
        }
    }

    [TestMethod]
    public void ACorruptParquetFileIsNamed()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "piqa")).FullName;
        var file = Path.Combine(folder, "validation.parquet");
        File.WriteAllBytes(file, [1, 2, 3, 4]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => TaskDataFiles.Load(new PiqaTask(), _root, "validation"));
        StringAssert.Contains(error.Message, file);
    }

    [TestMethod]
    public void UnknownTaskListsTheKnownOnes()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => TaskRegistry.Get("mmlu"));
        StringAssert.Contains(error.Message, "hellaswag");
    }

    private string Write(string task, string name, string text)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, task)).FullName;
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }
}
