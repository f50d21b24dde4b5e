namespace AssetSync;

/// <summary>How a schema step treats IC3's tables.</summary>
public enum SchemaStepKind
{
    /// <summary>Brief DDL under a short lock_timeout, retried while a long query holds the table.</summary>
    Ddl,

    /// <summary>A backfill in batches of short transactions, resumable from its last committed batch.</summary>
    Backfill,

    /// <summary>An index built CONCURRENTLY, outside a transaction; an INVALID leftover is dropped and rebuilt.</summary>
    Index,
}
