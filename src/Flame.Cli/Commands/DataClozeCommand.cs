using System.CommandLine;
using Flame.Data.Indexed;
using Flame.Data.Sampling;
using Flame.Data.Tokenization;
using Flame.Evaluation.Tasks;

namespace Flame.Cli.Commands;

/// <summary>
/// `flame data cloze`: a LAMBADA-format cloze set (lambada_openai's file layout) from the held-out
/// documents of an indexed dataset: its test split, by the same seeded split as training, so no
/// passage was trained on. `flame eval --tasks lambada_openai --data DIR` scores it.
/// </summary>
public static class DataClozeCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "The indexed dataset (PREFIX of .bin/.idx) the models trained on.", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Its tokenizer, to turn the held-out documents back into text.", Required = true };
        var output = new Option<string>("--out") { Description = "Task data folder: writes OUT/lambada_openai/test.jsonl.", Required = true };
        var split = new Option<string>("--split") { Description = "train,valid,test weights of the split by document (as in training).", DefaultValueFactory = _ => "90,5,5" };
        var passages = new Option<int>("--passages") { Description = "Passages to cut (at most).", DefaultValueFactory = _ => 128 };
        var words = new Option<int>("--words") { Description = "Words per passage, the last one (a word of letters) to be predicted.", DefaultValueFactory = _ => 48 };
        var force = new Option<bool>("--force") { Description = "Replace an existing cloze set." };
        var command = new Command("cloze", "Cut a LAMBADA-format cloze set from the held-out (test split) documents of a dataset, for `flame eval --tasks lambada_openai`.")
        {
            dataset, tokenizer, output, split, passages, words, force,
        };
        command.SetAction(parseResult =>
        {
            var folder = Path.GetFullPath(parseResult.GetValue(output)!);
            var file = LambadaClozeSet.FileIn(folder);
            if (File.Exists(file) && !parseResult.GetValue(force))
            {
                throw new IOException($"{file} exists; add --force to replace it");
            }

            var bpe = TokenizerFiles.Load(parseResult.GetValue(tokenizer)!);
            using var indexed = IndexedDataset.Open(parseResult.GetValue(dataset)!);
            var (train, valid) = DocumentSplit.Parse(parseResult.GetValue(split)!);
            var heldOut = DocumentSplit.Create(indexed.Count, train: train, valid: valid).Test;
            var texts = heldOut.Order().Select(d => bpe.Decode([.. indexed.Sequence(d).Where(t => t != bpe.EndOfDocumentId)]));
            var written = LambadaClozeSet.Write(texts, folder, parseResult.GetValue(passages), parseResult.GetValue(words));
            if (written == 0)
            {
                throw new InvalidDataException($"the {heldOut.Length} held-out documents of {parseResult.GetValue(dataset)} hold no passage of {parseResult.GetValue(words)} words");
            }

            parseResult.InvocationConfiguration.Output.WriteLine($"wrote {file}: {written} passages from {heldOut.Length} held-out documents (test split)");
            return 0;
        });
        return command;
    }
}
