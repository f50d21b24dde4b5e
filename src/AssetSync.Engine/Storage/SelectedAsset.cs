namespace AssetSync.Storage;

/// <summary>
/// An asset a run selected, with what its state row remembers of the last 200: the validators sent back
/// as If-None-Match / If-Modified-Since, and the SHA-256 of the body stored, to spot an unchanged one.
/// </summary>
internal sealed record SelectedAsset(string SerialNumber, string? ETag = null, string? LastModified = null, byte[]? PayloadSha256 = null)
{
    public bool HasValidators => ETag is not null || LastModified is not null || PayloadSha256 is not null;
}
