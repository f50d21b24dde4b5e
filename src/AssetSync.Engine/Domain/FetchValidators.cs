namespace AssetSync.Domain;

/// <summary>
/// What the state row keeps of an answer: the validators sent back as If-None-Match / If-Modified-Since, the SHA-256 of the
/// body stored (an unchanged asset without a 304 or a parse), and the fingerprint of what AssetSync wrote of it
/// (<c>AssetFingerprint</c>: an unchanged asset whose body differs only in fields IC3 does not store).
/// </summary>
internal readonly record struct FetchValidators(string? ETag, string? LastModified, byte[]? PayloadSha256, byte[]? ContentSha256 = null);
