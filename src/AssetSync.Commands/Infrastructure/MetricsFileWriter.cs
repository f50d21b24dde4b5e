namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// -MetricsPath: the run's figures and the register's state, read after the run (with a token of its own: the run may
/// have been cancelled), written as a Prometheus text file. A register that cannot be read leaves its figures out; a
/// file that cannot be written is a warning, never the run's failure.
/// </summary>
internal static class MetricsFileWriter
{
    /// <param name="path">The .prom file (a provider path), or null: nothing to write.</param>
    /// <param name="summary">The run's summary.</param>
    /// <param name="connectionString">The IC3 database, for the register's figures.</param>
    /// <param name="verbose">Told where the file went.</param>
    /// <param name="warn">Told what could not be read or written.</param>
    public static async Task WriteAsync(string? path, SyncRunSummary summary, string connectionString, Action<string> verbose, Action<string> warn)
    {
        if (path is null)
        {
            return;
        }
        SyncStatus? register = null;
        try
        {
            using var timeout = new CancellationTokenSource(SyncDefaults.MetricsReadTimeout);
            await using var database = new SyncDatabase(connectionString);
            register = await database.GetStatusAsync(0, SyncDefaults.StaleAfter, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AssetSyncException or OperationCanceledException)
        {
            warn($"The register's figures are left out of {path}: {ex.Message}");
        }
        try
        {
            Reporting.PrometheusTextFile.Write(path, summary, register);
            verbose($"Metrics written to {path}.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            warn($"The metrics file {path} could not be written: {ex.Message}");
        }
    }
}
