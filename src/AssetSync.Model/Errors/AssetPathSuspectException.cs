namespace AssetSync;

/// <summary>
/// The first answers of a run were all 404 and nothing had succeeded: the base URL or the asset
/// path is probably wrong, so the run stopped before it marked the whole register failed.
/// None of those assets was marked failed.
/// </summary>
public sealed class AssetPathSuspectException(int notFoundInRow, string triedUrl)
    : SyncRunFailedException(
        $"The first {notFoundInRow} assets of the run all answered 404 Not Found and none succeeded, so the base URL or the asset path is "
            + $"probably wrong. "
            + $"Last URL tried: {triedUrl}. Check -BaseUrl and -AssetPath (default /api/v1/assets/{{serialnumber}}). The run was stopped; no "
            + $"asset was marked failed."
    )
{
    /// <summary>How many 404s in a row, from the start of the run, stopped it.</summary>
    public int NotFoundInRow { get; } = notFoundInRow;

    /// <summary>The last URL requested (no credentials are ever in it).</summary>
    public string TriedUrl { get; } = triedUrl;
}
