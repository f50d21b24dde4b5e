namespace AssetSync;

/// <summary>Conversions between <see cref="SyncErrorKind"/> and the contract's names.</summary>
public static class SyncErrorKinds
{
    /// <summary>The value stored in ic3_sync_log.error_kind.</summary>
    public static string ToContractName(this SyncErrorKind kind) => kind switch
    {
        SyncErrorKind.NotFound => "not_found",
        SyncErrorKind.ClientError => "client_error",
        SyncErrorKind.Transient => "transient",
        SyncErrorKind.Network => "network",
        SyncErrorKind.Timeout => "timeout",
        SyncErrorKind.InvalidResponse => "invalid_response",
        SyncErrorKind.Database => "database",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Parses a contract name (not_found) or an enum name (NotFound), ignoring case.</summary>
    public static bool TryParse(string? text, out SyncErrorKind kind)
    {
        kind = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var compact = text.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        return Enum.TryParse(compact, ignoreCase: true, out kind) && Enum.IsDefined(kind);
    }
}
