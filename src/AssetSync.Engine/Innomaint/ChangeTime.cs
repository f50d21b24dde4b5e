namespace AssetSync.Innomaint;

/// <summary>
/// What one answer says of when Innomaint last changed its asset, moved onto this machine's clock: its <c>last_modified</c>,
/// corrected by the offset between the answer's <c>Date</c> and the time it arrived, and whether it looks stamped on read
/// (within <see cref="StampTolerance"/> of the answer's own <c>Date</c>: the time it was served, not changed).
/// </summary>
internal readonly record struct ChangeTime(DateTimeOffset? ChangedAt, bool StampedOnRead)
{
    /// <summary>
    /// How close to the answer's Date a last_modified must be to look stamped on read, and how far the server's clock must be
    /// from ours before it is corrected: HTTP dates have whole seconds, and an answer takes time to arrive.
    /// </summary>
    public static readonly TimeSpan StampTolerance = TimeSpan.FromSeconds(2);

    /// <summary>Reads <paramref name="lastModified"/> against the answer's <paramref name="served"/> Date and the time it <paramref
    /// name="received"/>.</summary>
    public static ChangeTime Read(DateTimeOffset? lastModified, DateTimeOffset? served, DateTimeOffset received)
    {
        if (lastModified is not { } changed)
        {
            return default;
        }
        if (served is not { } date)
        {
            return new ChangeTime(changed, StampedOnRead: false);
        }
        var stamped = (date - changed).Duration() <= StampTolerance;
        // A server whose clock runs off ours says so in its Date: its last_modified is moved by the same amount, so a change
        // is never dated in our future, nor an hour older than it is.
        // Whole seconds, as the Date says them: answers stamped alike stay alike once moved (an import's stamp is found by it).
        var skew = TimeSpan.FromSeconds(Math.Round((received - date).TotalSeconds));
        return new ChangeTime(skew.Duration() > StampTolerance ? changed + skew : changed, stamped);
    }
}
