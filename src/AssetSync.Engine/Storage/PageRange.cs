namespace AssetSync.Storage;

/// <summary>
/// Walking a table by physical page ranges ($1 first page, $2 the page after the last): the condition every batched
/// backfill and deletion uses (a TID range scan), and the batch sizing they share.
/// </summary>
internal static class PageRange
{
    /// <summary>The rows of pages [$1, $2) of the table aliased <paramref name="alias"/> ("" or "l.").</summary>
    public static string Condition(string alias = "") =>
        $"{alias}ctid >= format('(%s,0)', $1::bigint)::tid AND {alias}ctid < format('(%s,0)', $2::bigint)::tid";

    /// <summary>The next batch's page count: scaled towards <paramref name="target"/> by the last one's time, within bounds.</summary>
    public static long NextChunk(long chunk, double tookSeconds, TimeSpan target)
    {
        var scale = tookSeconds <= 0 ? 2 : Math.Clamp(target.TotalSeconds / tookSeconds, 0.25, 2);
        return Math.Clamp((long)(chunk * scale), 16, 1 << 20);
    }
}
