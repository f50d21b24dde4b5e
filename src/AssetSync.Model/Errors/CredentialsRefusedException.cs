namespace AssetSync;

/// <summary>Innomaint answered 401 or 403: the token is wrong, expired or lacks rights. The run stops at once.</summary>
public sealed class CredentialsRefusedException(int httpStatus, string serialNumber)
    : SyncRunFailedException(
        $"Innomaint refused the API token (HTTP {httpStatus}) while syncing asset '{TextSafety.Inert(serialNumber, 80)}'. The run was stopped; no "
            + $"asset was marked failed. "
            + $"Check the token in -ApiToken, -Credential or {SyncSettings.ApiTokenVariable}."
    )
{
    public int HttpStatus { get; } = httpStatus;

    public string SerialNumber { get; } = serialNumber;
}
