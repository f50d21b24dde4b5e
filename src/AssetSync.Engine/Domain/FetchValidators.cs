namespace AssetSync.Domain;

/// <summary>What the state row keeps of an answer for the next conditional request.</summary>
internal readonly record struct FetchValidators(string? ETag, string? LastModified, byte[]? PayloadSha256);
