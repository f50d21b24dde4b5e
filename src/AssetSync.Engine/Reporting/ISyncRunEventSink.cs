namespace AssetSync.Reporting;

/// <summary>Where run events go: the Windows Event Log, the journal, or a test's list.</summary>
public interface ISyncRunEventSink
{
    /// <summary>What to call it in messages ("Application log", "journal").</summary>
    string Name { get; }

    void Write(SyncRunEvent e);
}
