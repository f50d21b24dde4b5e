namespace AssetSync;

/// <summary>
/// An asset's outcome as ic3_sync_log.status and cmms_asset_sync_state.status record it (the IC3 database contract): success
/// (changed or unchanged) or error. The one place their text is spelled: the engine's parameters and its SQL take it from here.
/// </summary>
internal static class LogStatus
{
    public const string Success = "success";

    public const string Error = "error";

    /// <summary><see cref="Success"/> as a SQL literal, for statements that compare with it.</summary>
    public const string SuccessSql = "'" + Success + "'";

    /// <summary><see cref="Error"/> as a SQL literal.</summary>
    public const string ErrorSql = "'" + Error + "'";

    /// <summary>The status of an outcome that failed or not.</summary>
    public static string Of(bool failed) => failed ? Error : Success;
}
