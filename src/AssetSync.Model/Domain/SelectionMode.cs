namespace AssetSync;

/// <summary>How a run chose its assets, as cmms_sync_log.mode records it: batch, retry_failed or serials.</summary>
public readonly record struct SelectionMode
{
    private SelectionMode(string name, string letter)
    {
        Name = name;
        Letter = letter;
    }

    /// <summary>The contract name.</summary>
    public string Name { get; }

    /// <summary>One letter for charts (B, R, S).</summary>
    public string Letter { get; }

    /// <summary>The stalest assets, or the Go service's paging in report order (Invoke-CmmsSync -BatchSize).</summary>
    public static SelectionMode Batch { get; } = new("batch", "B");

    /// <summary>The assets whose current state is error (Invoke-CmmsRetryFailed).</summary>
    public static SelectionMode RetryFailed { get; } = new("retry_failed", "R");

    /// <summary>Serial numbers named by the caller (Invoke-CmmsSync -SerialNumber).</summary>
    public static SelectionMode Serials { get; } = new("serials", "S");

    /// <summary>The mode of a stored name; null for a name this version does not know (a row of another writer).</summary>
    public static SelectionMode? FromName(string? name) =>
        name == Batch.Name ? Batch
        : name == RetryFailed.Name ? RetryFailed
        : name == Serials.Name ? Serials
        : null;

    public override string ToString() => Name;

    public static implicit operator string(SelectionMode mode) => mode.Name;
}
