using Newtonsoft.Json;
using Newtonsoft.Json.Converters;
using Newtonsoft.Json.Serialization;

namespace AssetSync;

/// <summary>
/// A run's status, as cmms_sync_log.status records it (the IC3 database contract). An enum, so a script compares it with
/// a name (<c>$s.Status -eq 'complete'</c>) and tab-completes it; its contract name (complete, cancelled ...) comes from
/// <see cref="RunStatusNames"/>, the one place that spells it.
/// </summary>
/// <remarks>
/// ConvertTo-Json is built on Newtonsoft.Json, which PowerShell ships: this attribute makes it write the contract name
/// ("complete"), as it did when Status was a string, where a plain enum would be written as its number. The reference is
/// compile-only: the attribute resolves against PowerShell's own copy.
/// </remarks>
[JsonConverter(typeof(StringEnumConverter), typeof(CamelCaseNamingStrategy))]
public enum RunStatus
{
    /// <summary>A row whose status is none of the contract's (another program wrote it); never written.</summary>
    Unknown = 0,

    /// <summary>The run holds the lock and is working.</summary>
    Running,

    /// <summary>Every selected asset was decided, or the time budget ended the run (StoppedBy max_duration).</summary>
    Complete,

    /// <summary>Stopped by Ctrl+C or a service manager; what was decided is kept.</summary>
    Cancelled,

    /// <summary>Stopped by a fatal error (credentials refused, Innomaint unreachable, the database lost for good).</summary>
    Failed,

    /// <summary>Left 'running' by a process that died; so marked by the next run, or so shown by status.</summary>
    Interrupted,

    /// <summary>Not started: another run held the lock (-IfRunning Skip). Only in a summary; no row is written.</summary>
    Skipped,
}
