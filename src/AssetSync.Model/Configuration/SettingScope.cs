namespace AssetSync;

/// <summary>Which commands read a setting.</summary>
public enum SettingScope
{
    /// <summary>Every command that talks to the IC3 database.</summary>
    Database,

    /// <summary>Invoke-CmmsSync, Invoke-CmmsRetryFailed and the scheduled job.</summary>
    Sync,

    /// <summary>Get-CmmsSyncStatus and the scheduled job.</summary>
    Status,

    /// <summary>The scheduled job only (Invoke-CmmsScheduledSync.ps1).</summary>
    Job,
}
