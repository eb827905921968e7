using Flame.Evaluation.Tasks;

namespace Flame.Evaluation.Tests;

[TestClass]
public sealed class LambadaClozeSetTests
{
    [TestMethod]
    public void PassagesEndInAWordAndReadAsLambada()
    {
        var folder = Directory.CreateTempSubdirectory("flame-cloze-").FullName;
        try
        {
            string[] documents =
            [
                "Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse, and nothing particular to interest me on shore.",
                "Short one.",
                "The whale swam under the ship, and the sailors watched the sea in silence until the evening came.",
            ];
            var written = LambadaClozeSet.Write(documents, folder, passages: 3, words: 6);

            Assert.AreEqual(3, written);
            var docs = TaskDataFiles.Load(TaskRegistry.Get("lambada_openai"), folder, "test");
            Assert.HasCount(3, docs);
            // Round robin: the first passage of each document that has one, then the second of the first.
            // Six words; "ago," and "ship," are not words of letters, so those passages run to the next word.
            Assert.AreEqual("Call me Ishmael. Some years ago,", docs[0].Text);
            Assert.AreEqual(" never", docs[0].Choices[0]);
            Assert.AreEqual("The whale swam under the ship,", docs[1].Text);
            Assert.AreEqual(" and", docs[1].Choices[0]);
            Assert.AreEqual("mind how long precisely, having little", docs[2].Text + docs[2].Choices[0]);
            Assert.IsTrue(docs.All(d => d.Choices[0].Trim().All(char.IsLetter)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
