using System.Diagnostics;

namespace AssetSync.Tests.Fixtures;

/// <summary>
/// Controls the throwaway cluster build.ps1 started (restart, stop, start), for database-fault tests.
/// Tests using it run in the <see cref="ExclusiveTestGroup"/>, alone, since every class shares the cluster.
/// </summary>
public static class PostgresServer
{
    private static string DataDir =>
        Environment.GetEnvironmentVariable("ASSETSYNC_TEST_PG_DATADIR")
        ?? throw new InvalidOperationException(
            "ASSETSYNC_TEST_PG_DATADIR is not set: database-fault tests need the throwaway cluster of './build.ps1 -Task Test'."
        );

    private static string Bin => Environment.GetEnvironmentVariable("ASSETSYNC_TEST_PG_BIN") ?? "/usr/lib/postgresql/15/bin";

    // Always with -l: without a log file the server would hold pg_ctl's output pipe open for good.
    private static string LogFile => Path.Combine(Path.GetDirectoryName(DataDir)!, "server.log");

    public static Task RestartAsync() => PgCtlAsync("restart", "-m", "fast", "-l", LogFile);

    public static Task StopAsync() => PgCtlAsync("stop", "-m", "fast");

    public static Task StartAsync() => PgCtlAsync("start", "-l", LogFile);

    private static async Task PgCtlAsync(params string[] args)
    {
        var pgCtl = Path.Combine(Bin, "pg_ctl");
        var all = new List<string> { "-D", DataDir, "-w", "-t", "60" };
        all.AddRange(args);
        // The server refuses to run as root: run pg_ctl as its owner, as build.ps1 does.
        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "runuser" : pgCtl) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (asRoot)
        {
            foreach (var a in new[] { "-u", "postgres", "--", pgCtl })
            {
                start.ArgumentList.Add(a);
            }
        }
        foreach (var a in all)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl {string.Join(' ', args)} failed: {await stderr}");
        }
        Npgsql.NpgsqlConnection.ClearAllPools();
    }
}

/// <summary>Tests that restart or stop the shared PostgreSQL run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExclusiveTestGroup
{
    public const string Name = "Exclusive: controls the shared PostgreSQL";
}
