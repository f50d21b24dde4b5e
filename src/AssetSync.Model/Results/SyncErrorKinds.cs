namespace AssetSync;

/// <summary>What the contracts say of each <see cref="SyncErrorKind"/>: its name, whether it is retried, whether it defers.</summary>
public static class SyncErrorKinds
{
    /// <summary>The kinds an asset's log row and state can hold (<see cref="SyncErrorKind.Credentials"/> stops the run instead).</summary>
    public static IReadOnlyList<SyncErrorKind> Logged { get; } = [.. Enum.GetValues<SyncErrorKind>().Where(k => k != SyncErrorKind.Credentials)];

    /// <summary>The kinds that defer an asset (the IC3 database contract): Innomaint does not have it, or refuses it.</summary>
    public static IReadOnlyList<SyncErrorKind> Deferring { get; } = [.. Logged.Where(Defers)];

    /// <summary>The value stored in ic3_sync_log.error_kind and shown to users.</summary>
    public static string ToContractName(this SyncErrorKind kind) =>
        kind switch
        {
            SyncErrorKind.NotFound => "not_found",
            SyncErrorKind.ClientError => "client_error",
            SyncErrorKind.Transient => "transient",
            SyncErrorKind.Network => "network",
            SyncErrorKind.Timeout => "timeout",
            SyncErrorKind.InvalidResponse => "invalid_response",
            SyncErrorKind.Database => "database",
            SyncErrorKind.Credentials => "credentials",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

    /// <summary>
    /// A failure of this kind defers the asset: runs skip it for 1, 2, 4 … days (<see cref="DeferralSchedule"/>) by
    /// consecutive failures, and retry-failed leaves it until due. Other failures are never deferred.
    /// </summary>
    public static bool Defers(this SyncErrorKind kind) => kind is SyncErrorKind.NotFound or SyncErrorKind.ClientError;

    /// <summary>The Innomaint contract's "retried?" column: a later attempt may pass.</summary>
    public static bool IsRetried(this SyncErrorKind kind) =>
        kind is SyncErrorKind.Transient or SyncErrorKind.Network or SyncErrorKind.Timeout or SyncErrorKind.InvalidResponse;

    /// <summary>Kinds that suggest Innomaint itself is down, rather than the asset: consecutive ones trip the breaker.</summary>
    public static bool SuggestsOutage(this SyncErrorKind kind) => kind is SyncErrorKind.Transient or SyncErrorKind.Network or SyncErrorKind.Timeout;

    /// <summary>Maps an HTTP status that is not 2xx to its kind, as the Innomaint contract's table says.</summary>
    public static SyncErrorKind FromStatusCode(int status) =>
        status switch
        {
            404 => SyncErrorKind.NotFound,
            401 or 403 => SyncErrorKind.Credentials,
            408 or 429 or 500 or 502 or 503 or 504 => SyncErrorKind.Transient,
            >= 400 and < 500 => SyncErrorKind.ClientError,
            // Other 5xx and unexpected 1xx/3xx: the server is not answering as promised; retrying may pass.
            _ => SyncErrorKind.Transient,
        };

    /// <summary>Parses a contract name (not_found) or an enum name (NotFound) of a logged kind, ignoring case.</summary>
    public static bool TryParse(string? text, out SyncErrorKind kind)
    {
        kind = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var compact = text.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        return Enum.TryParse(compact, ignoreCase: true, out kind) && Logged.Contains(kind);
    }
}
