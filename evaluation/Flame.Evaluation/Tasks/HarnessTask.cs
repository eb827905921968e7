namespace Flame.Evaluation.Tasks;

/// <summary>What a task reports: multiple-choice accuracy (acc, acc_norm) or LAMBADA's last-word metrics.</summary>
public enum TaskKind
{
    MultipleChoice,
    LastWord,
}

/// <summary>
/// An lm-evaluation-harness task: where its data lives, which split is scored, where few-shot
/// examples come from, and how a record becomes a prompt (the harness's doc_to_text,
/// doc_to_choice and doc_to_target, reproduced exactly).
/// </summary>
public abstract class HarnessTask
{
    /// <summary>The harness's task name (hellaswag, arc_easy, ...), also the folder under --data.</summary>
    public abstract string Name { get; }

    /// <summary>The split that is scored.</summary>
    public abstract string EvaluationSplit { get; }

    /// <summary>The split few-shot examples are drawn from.</summary>
    public virtual string FewShotSplit => "train";

    /// <summary>
    /// Whether the harness's config has fewshot_split == test_split (both absent counts: None == None),
    /// so that it draws one example more and drops the scored document (samplers.py get_context).
    /// </summary>
    public abstract bool FewShotSplitIsTestSplit { get; }

    /// <summary>The harness YAML's dataset, splits, output type and version (for results files).</summary>
    public abstract HarnessConfig Config { get; }

    /// <summary>Shots FLAME-MoE uses (0 where it does not report the task).</summary>
    public virtual int DefaultShots => 0;

    public virtual TaskKind Kind => TaskKind.MultipleChoice;

    /// <summary>What stands between a context and its continuation (the harness's target_delimiter).</summary>
    public virtual string TargetDelimiter => " ";

    /// <summary>The metrics the harness reports for this task.</summary>
    public virtual IReadOnlyList<string> Metrics => ["acc", "acc_norm"];

    /// <summary>The fields a record must have (for the docs and for error messages).</summary>
    public abstract IReadOnlyList<string> Fields { get; }

    public abstract FormattedDoc Format(TaskRecord record);
}
