namespace AssetSync.Domain;

/// <summary>
/// An asset a run selected, with what its state row remembers of the last 200: the validators sent back
/// as If-None-Match / If-Modified-Since, and the SHA-256 of the body stored, to spot an unchanged one;
/// and how its last attempt failed, if it did, so the breaker does not take a known failure for an outage.
/// </summary>
internal sealed record SelectedAsset(string SerialNumber, string? ETag = null, string? LastModified = null, byte[]? PayloadSha256 = null)
{
    /// <summary>The error kind of the asset's last attempt when that failed; null when it succeeded, never ran, or a name this version does not
    /// know.</summary>
    public SyncErrorKind? LastErrorKind { get; init; }

    /// <summary>True when the asset's last attempt failed with <paramref name="kind"/>: it is known to fail that way.</summary>
    public bool KnownToFail(SyncErrorKind? kind) => kind is not null && LastErrorKind == kind;

    /// <summary>The fingerprint of what the last change wrote (<c>AssetFingerprint</c>); null before schema 4's first write.</summary>
    public byte[]? ContentSha256 { get; init; }

    /// <summary>What the state row keeps, as one value.</summary>
    public FetchValidators Validators => new(ETag, LastModified, PayloadSha256, ContentSha256);

    public bool HasValidators => ETag is not null || LastModified is not null || PayloadSha256 is not null;
}
