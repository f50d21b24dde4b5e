using System.Data;
using System.Runtime.CompilerServices;
using AssetSync.Innomaint;
using Npgsql;
using NpgsqlTypes;
using Polly;
using Polly.Retry;

namespace AssetSync.Storage;

/// <summary>
/// All of AssetSync's database work, over one <see cref="NpgsqlDataSource"/>. Every statement is
/// parameterised; every call is cancellable; transient database errors (connection lost, server
/// restarting) are retried under a policy of their own, separate from the API's.
/// </summary>
internal sealed class SyncStore : IAsyncDisposable
{
    private const int PageSize = 1000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ResiliencePipeline _retry;
    private readonly DatabaseOutageMonitor _outage;

    public SyncStore(string connectionString, int maxRetryCount, TimeSpan retryInterval, TimeProvider time, SyncObserver? observer = null)
    {
        _dataSource = DataSources.For(connectionString);
        Target = DatabaseSettings.Describe(connectionString);
        _outage = new DatabaseOutageMonitor(Target, time, observer ?? SyncObserver.None);

        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time };
        if (maxRetryCount > 0)
        {
            pipeline.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = maxRetryCount,
                BackoffType = DelayBackoffType.Exponential,
                Delay = retryInterval,
                MaxDelay = TimeSpan.FromSeconds(8),
                ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(IsTransient),
                OnRetry = args =>
                {
                    // After a restart every pooled connection is dead: drop the idle ones so the retry gets a fresh one.
                    _dataSource.Clear();
                    _outage.Retrying(Describe(args.Outcome.Exception), args.AttemptNumber + 1, maxRetryCount, args.RetryDelay);
                    return default;
                },
            });
        }
        _retry = pipeline.Build();
    }

    /// <summary>Log retention over this store's connections.</summary>
    public LogRetention Retention(TimeProvider time) => new(_dataSource, time);

    /// <summary>host:port/database, for messages. Never the password.</summary>
    public string Target { get; }

    public static bool IsTransient(NpgsqlException ex) => ex.IsTransient || ex is PostgresException { SqlState: "57P01" or "57P02" or "57P03" };

    public static string Describe(Exception? ex) => ex switch
    {
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
        NpgsqlException { InnerException: { } inner } npg => $"{npg.Message} ({inner.Message})",
        null => "unknown",
        _ => ex.Message,
    };

    private async ValueTask<T> WithRetry<T>(Func<CancellationToken, ValueTask<T>> action, CancellationToken ct)
    {
        T result;
        // A run's statements share a few connections of the shared pool, whatever its worker count: a light touch on IC3.
        if (_connections is not null)
        {
            await _connections.WaitAsync(ct).ConfigureAwait(false);
        }
        try
        {
            result = await _retry.ExecuteAsync(static (a, token) => a(token), action, ct).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (IsTransient(ex))
        {
            _outage.GaveUp();
            throw;
        }
        finally
        {
            _connections?.Release();
        }
        _outage.Answered();
        return result;
    }

    /// <summary>
    /// At most this many of the store's statements hold a connection at once (the run lock's own connection aside);
    /// null: no bound of its own (status, reports).
    /// </summary>
    public int? ConnectionLimit
    {
        get => _connectionLimit;
        init
        {
            _connectionLimit = value;
            _connections = value is { } n ? new SemaphoreSlim(n, n) : null;
        }
    }

    private readonly int? _connectionLimit;
    private readonly SemaphoreSlim? _connections;

    // ---- schema -----------------------------------------------------------------------------

    public ValueTask<int> GetSchemaVersionAsync(CancellationToken ct) => WithRetry(async token =>
    {
        await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
        return await Migrations.MigrationRunner.GetVersionAsync(conn, token).ConfigureAwait(false);
    }, ct);

    public async Task EnsureSchemaAsync(CancellationToken ct)
    {
        var version = await GetSchemaVersionAsync(ct).ConfigureAwait(false);
        if (version < Migrations.SchemaPlan.LatestVersion)
        {
            throw new SchemaMissingException(version, Migrations.SchemaPlan.LatestVersion) { Target = Target };
        }
    }

    // ---- run lock and run rows --------------------------------------------------------------

    /// <summary>Takes the database's run lock on a connection of its own, held until the lock is disposed.</summary>
    /// <remarks>
    /// With <paramref name="wait"/>, polls twice a second until the holder ends or <paramref name="waitTimeout"/>
    /// passes, telling <paramref name="observer"/> who it waits for and for how long.
    /// </remarks>
    public async Task<RunLock> AcquireRunLockAsync(bool wait, TimeSpan waitTimeout, TimeProvider time, SyncObserver observer, CancellationToken ct)
    {
        var conn = await WithRetry(t => _dataSource.OpenConnectionAsync(t), ct).ConfigureAwait(false);
        try
        {
            var started = time.GetTimestamp();
            RunInProgress? holder = null;
            while (true)
            {
                if (await RunLock.TryTakeAsync(conn, _dataSource, ct).ConfigureAwait(false) is { } taken)
                {
                    if (holder is not null)
                    {
                        observer.WaitingForRun(holder, time.GetElapsedTime(started), waitTimeout, done: true);
                    }
                    return taken;
                }
                var waited = time.GetElapsedTime(started);
                holder = await GetRunningRunAsync(conn, ct).ConfigureAwait(false) ?? new RunInProgress(null, null, null, null);
                if (!wait)
                {
                    throw new SyncRunLockedException(holder);
                }
                if (waited >= waitTimeout)
                {
                    observer.WaitingForRun(holder, waited, waitTimeout, done: true);
                    throw new SyncRunLockedException(holder, waited);
                }
                observer.WaitingForRun(holder, waited, waitTimeout, done: false);
                await Task.Delay(TimeSpan.FromMilliseconds(500), time, ct).ConfigureAwait(false);
            }
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<RunInProgress?> GetRunningRunAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Sql.LatestRunningRun, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }
        return new RunInProgress(reader.GetInt64(0), GetString(reader, 1), GetString(reader, 2), GetTimestamp(reader, 3));
    }

    /// <summary>Writes the run's row, 'running', and marks runs whose process died as interrupted.</summary>
    /// <param name="selection">What the run selects.</param>
    /// <param name="selected">Assets the run took on (selected plus skipped): the row's total from the start.</param>
    /// <param name="skipped">Of them, serial numbers not in the register.</param>
    /// <param name="host">The machine running it.</param>
    /// <param name="user">The account running it.</param>
    /// <param name="ct">Cancels the statement.</param>
    public ValueTask<(long RunId, DateTimeOffset StartedAt)> StartRunAsync(AssetSelection selection, int selected, int skipped, string host, string user, CancellationToken ct) =>
        WithRetry(async token =>
        {
            await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var tx = await conn.BeginTransactionAsync(token).ConfigureAwait(false);
            long id;
            DateTimeOffset startedAt;
            await using (var cmd = new NpgsqlCommand(Sql.StartRun, conn, tx))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = selection.Mode.Name });
                cmd.Parameters.Add(new NpgsqlParameter { Value = selection.Mode == SelectionMode.Serials ? DBNull.Value : selection.BatchSize });
                cmd.Parameters.Add(new NpgsqlParameter { Value = selection.Mode == SelectionMode.Batch ? selection.Offset : DBNull.Value });
                cmd.Parameters.Add(new NpgsqlParameter { Value = host });
                cmd.Parameters.Add(new NpgsqlParameter { Value = user });
                cmd.Parameters.Add(new NpgsqlParameter { Value = selected });
                cmd.Parameters.Add(new NpgsqlParameter { Value = skipped });
                await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
                await reader.ReadAsync(token).ConfigureAwait(false);
                id = reader.GetInt64(0);
                startedAt = GetTimestamp(reader, 1)!.Value;
            }
            await ExecAsync(conn, tx, Sql.MarkInterrupted, token, id).ConfigureAwait(false);
            await tx.CommitAsync(token).ConfigureAwait(false);
            return (id, startedAt);
        }, ct);

    public ValueTask<DateTimeOffset> FinishRunAsync(long runId, string status, int succeeded, int failed, int skipped, long durationMs, string? error,
        RunFigures figures, CancellationToken ct) =>
        WithRetry(async token =>
        {
            await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(Sql.FinishRun, conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = status });
            cmd.Parameters.Add(new NpgsqlParameter { Value = succeeded });
            cmd.Parameters.Add(new NpgsqlParameter { Value = failed });
            cmd.Parameters.Add(new NpgsqlParameter { Value = skipped });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (int)Math.Min(durationMs, int.MaxValue) });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = figures.Unchanged, NpgsqlDbType = NpgsqlDbType.Integer });
            cmd.Parameters.Add(new NpgsqlParameter { Value = figures.NotReached, NpgsqlDbType = NpgsqlDbType.Integer });
            cmd.Parameters.Add(Text(figures.StoppedBy));
            cmd.Parameters.Add(new NpgsqlParameter { Value = figures.Requests, NpgsqlDbType = NpgsqlDbType.Integer });
            cmd.Parameters.Add(new NpgsqlParameter { Value = figures.Throttled, NpgsqlDbType = NpgsqlDbType.Integer });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)figures.RequestsPerSecond ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            cmd.Parameters.Add(Text(figures.Learned is null ? null : figures.BaseUrl));
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)figures.Learned?.RequestsPerSecond ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            cmd.Parameters.Add(Text(figures.Learned?.Source));
            var finished = await cmd.ExecuteScalarAsync(token).ConfigureAwait(false);
            return finished is DateTime dt ? new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)) : DateTimeOffset.UtcNow;
        }, ct);

    /// <summary>What an earlier run learned about the quota of <paramref name="baseUrl"/>; null when nothing.</summary>
    public ValueTask<LearnedRate?> GetLearnedRateAsync(string baseUrl, CancellationToken ct) => WithRetry(async token =>
    {
        await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(Sql.LearnedRate, conn);
        cmd.Parameters.Add(Text(baseUrl));
        await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
        if (!await reader.ReadAsync(token).ConfigureAwait(false))
        {
            return null;
        }
        var learnedAt = reader.GetFieldValue<DateTime>(2);
        return new LearnedRate(reader.GetDouble(0), reader.GetString(1), new DateTimeOffset(DateTime.SpecifyKind(learnedAt, DateTimeKind.Utc)));
    }, ct);

    /// <summary>Brings a running run's counts up to date (live counts for other sessions).</summary>
    public async Task UpdateRunProgressAsync(long runId, int succeeded, int failed, int skipped, CancellationToken ct)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await ExecAsync(conn, null, Sql.UpdateRunProgress, ct, runId, succeeded, failed, skipped).ConfigureAwait(false);
    }

    /// <summary>The serial number of the latest successful sync that is still in the register, if any.</summary>
    public ValueTask<string?> GetLastSucceededSerialAsync(CancellationToken ct) => WithRetry(async token =>
    {
        await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(Sql.LastSucceededSerial, conn);
        return await cmd.ExecuteScalarAsync(token).ConfigureAwait(false) as string;
    }, ct);

    // ---- selection --------------------------------------------------------------------------

    /// <summary>
    /// The selection as one snapshot, in run order, each asset once, held compactly (<see cref="SelectionSnapshot"/>). One
    /// query: the order (stalest first) changes as the run proceeds, so paging through it would see assets twice. In serials
    /// mode, serial numbers not in the register are reported to <paramref name="skipped"/> and left out.
    /// </summary>
    public ValueTask<SelectionSnapshot> SelectAsync(AssetSelection selection, Action<string>? skipped, CancellationToken ct) => WithRetry(async token =>
    {
        await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
        var snapshot = new SelectionSnapshot();
        if (selection.Mode == SelectionMode.Serials)
        {
            var serials = selection.SerialNumbers!;
            var known = await KnownSerialsAsync(conn, serials, token).ConfigureAwait(false);
            foreach (var serial in serials)
            {
                if (known.Contains(serial))
                {
                    snapshot.Add(serial);
                }
                else
                {
                    skipped?.Invoke(serial);
                }
            }
            return snapshot;
        }

        var sql = selection.Mode == SelectionMode.RetryFailed ? Sql.SelectFailed : selection.ReportOrder ? Sql.SelectReportOrder : Sql.SelectStalest;
        await using var select = new NpgsqlCommand(sql, conn);
        select.Parameters.Add(new NpgsqlParameter { Value = selection.BatchSize > 0 ? selection.BatchSize : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        select.Parameters.Add(new NpgsqlParameter { Value = (object?)selection.NotSyncedSince?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        select.Parameters.Add(new NpgsqlParameter { Value = selection.IncludeDeferred, NpgsqlDbType = NpgsqlDbType.Boolean });
        if (sql == Sql.SelectReportOrder)
        {
            select.Parameters.Add(new NpgsqlParameter { Value = selection.Offset, NpgsqlDbType = NpgsqlDbType.Integer });
        }
        // The query returns each asset once (grouped in SQL): nothing here grows with the register but the snapshot.
        await using (var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                snapshot.Add(reader.GetString(0));
            }
        }
        return snapshot;
    }, ct);

    /// <summary>
    /// The selected assets <paramref name="serials"/> (a chunk of the snapshot), in that order, each with its stored validators
    /// and how its last attempt failed, if it did.
    /// </summary>
    public ValueTask<List<SelectedAsset>> GetSelectedAsync(IReadOnlyList<string> serials, CancellationToken ct) => WithRetry(async token =>
    {
        await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
        var stored = new Dictionary<string, SelectedAsset>(serials.Count, StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand(Sql.SelectValidators, conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = serials.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                var asset = ReadSelected(reader);
                stored[asset.SerialNumber] = asset;
            }
        }
        var list = new List<SelectedAsset>(serials.Count);
        foreach (var serial in serials)
        {
            list.Add(stored.GetValueOrDefault(serial) ?? new SelectedAsset(serial));
        }
        return list;
    }, ct);

    private static SelectedAsset ReadSelected(NpgsqlDataReader r) =>
        new(r.GetString(0), GetString(r, 1), GetString(r, 2), r.IsDBNull(3) ? null : r.GetFieldValue<byte[]>(3)) { LastErrorKind = GetString(r, 4) };

    private static async Task<HashSet<string>> KnownSerialsAsync(NpgsqlConnection conn, IReadOnlyList<string> serials, CancellationToken token)
    {
        await using var cmd = new NpgsqlCommand(Sql.KnownSerials, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = serials.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        var known = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            known.Add(reader.GetString(0));
        }
        return known;
    }

    // ---- applying outcomes ------------------------------------------------------------------

    /// <summary>
    /// Writes one changed asset: its master row, schedules, log row and state row in one implicit transaction. True when
    /// its log row was written now (false: an earlier attempt of the same write had committed it).
    /// </summary>
    public async ValueTask<bool> ApplySuccessAsync(long runId, AssetDetail asset, string requestedSerial, int attempts, int? httpStatus, long durationMs,
        FetchValidators validators, CancellationToken ct) =>
        await ApplySuccessGroupAsync(runId, [new ChangedAsset(requestedSerial, asset, attempts, httpStatus, durationMs, validators)], ct).ConfigureAwait(false) == 1;

    /// <summary>
    /// Writes a group of changed assets in one batch of four set-based statements and one commit (an implicit transaction):
    /// the master rows, the schedules replaced, the log rows and the state rows of every asset, or none of the group. Arrays
    /// carry the group (unnest), so the database executes four statements however large the group is. A transient error
    /// retries the whole group; its log statement writes nothing twice. Returns how many log rows were written now.
    /// </summary>
    public ValueTask<long> ApplySuccessGroupAsync(long runId, IReadOnlyList<ChangedAsset> assets, CancellationToken ct) =>
        WithRetry(async token =>
        {
            await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(conn);
            var serials = assets.Select(a => a.SerialNumber).ToArray();

            var master = new NpgsqlBatchCommand(Sql.EnrichMasterGroup);
            master.Parameters.Add(TextArray(serials));
            foreach (var column in new Func<AssetDetail, string?>[]
            {
                a => a.AssetCode, a => a.AssetName, a => a.Category, a => a.Make, a => a.Model, a => a.Department, a => a.LocationSite,
                a => a.LocationBuilding, a => a.LocationFloor, a => a.LocationRoom, a => a.Status, a => a.Criticality,
            })
            {
                master.Parameters.Add(TextArray(assets.Select(a => column(a.Asset)).ToArray()));
            }
            master.Parameters.Add(new NpgsqlParameter { Value = assets.Select(a => a.Asset.InstallDate).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date });
            master.Parameters.Add(new NpgsqlParameter { Value = assets.Select(a => a.Asset.WarrantyExpiry).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date });
            master.Parameters.Add(new NpgsqlParameter { Value = assets.Select(a => a.Asset.LastModified?.ToUniversalTime()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            master.Parameters.Add(new NpgsqlParameter { Value = assets.Select(a => a.Asset.RawPayload).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
            batch.BatchCommands.Add(master);

            var delete = new NpgsqlBatchCommand(Sql.DeleteSchedulesGroup);
            delete.Parameters.Add(TextArray(serials));
            batch.BatchCommands.Add(delete);

            var schedules = assets.SelectMany(a => a.Asset.PmSchedules.Select(p => (a.SerialNumber, Schedule: p))).ToList();
            if (schedules.Count > 0)
            {
                var insert = new NpgsqlBatchCommand(Sql.InsertSchedulesGroup);
                insert.Parameters.Add(TextArray(schedules.Select(s => s.SerialNumber).ToArray()));
                insert.Parameters.Add(TextArray(schedules.Select(s => s.Schedule.ScheduleId).ToArray()));
                insert.Parameters.Add(TextArray(schedules.Select(s => s.Schedule.Task).ToArray()));
                insert.Parameters.Add(new NpgsqlParameter { Value = schedules.Select(s => s.Schedule.FrequencyDays).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
                insert.Parameters.Add(new NpgsqlParameter { Value = schedules.Select(s => s.Schedule.NextDue).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date });
                batch.BatchCommands.Add(insert);
            }

            var log = new NpgsqlBatchCommand(Sql.LogSuccessGroup);
            AddLogGroupParameters(log.Parameters, runId, assets.Select(a => (a.SerialNumber, a.Attempts, a.HttpStatus, a.DurationMs, a.Validators)).ToList(), unchanged: false);
            batch.BatchCommands.Add(log);

            // The log-and-state statement comes last: its count is the batch's scalar.
            return Convert.ToInt64(await batch.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }, ct);

    private static NpgsqlParameter TextArray(string?[] values) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    /// <summary>The parameters of <see cref="Sql.LogSuccessGroup"/>, for changed and unchanged groups alike.</summary>
    private static void AddLogGroupParameters(NpgsqlParameterCollection parameters, long runId,
        IReadOnlyList<(string Serial, int Attempts, int? HttpStatus, long DurationMs, FetchValidators Validators)> assets, bool unchanged)
    {
        parameters.Add(TextArray(assets.Select(a => a.Serial).ToArray()));
        parameters.Add(new NpgsqlParameter { Value = assets.Select(a => a.Attempts).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        parameters.Add(new NpgsqlParameter { Value = assets.Select(a => a.HttpStatus).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        parameters.Add(new NpgsqlParameter { Value = assets.Select(a => (int)Math.Min(a.DurationMs, int.MaxValue)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        parameters.Add(TextArray(assets.Select(a => a.Validators.ETag).ToArray()));
        parameters.Add(TextArray(assets.Select(a => a.Validators.LastModified).ToArray()));
        parameters.Add(new NpgsqlParameter { Value = assets.Select(a => a.Validators.PayloadSha256).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        parameters.Add(new NpgsqlParameter { Value = runId, NpgsqlDbType = NpgsqlDbType.Bigint });
        parameters.Add(new NpgsqlParameter { Value = unchanged, NpgsqlDbType = NpgsqlDbType.Boolean });
    }

    /// <summary>Writes a group of unchanged assets (log and state rows) in one statement and one commit.</summary>
    public ValueTask<long> ApplyUnchangedAsync(long runId, IReadOnlyList<UnchangedAsset> assets, CancellationToken ct) =>
        WithRetry(async token =>
        {
            await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(Sql.LogSuccessGroup, conn);
            AddLogGroupParameters(cmd.Parameters, runId, assets.Select(a => (a.SerialNumber, a.Attempts, a.HttpStatus, a.DurationMs, a.Validators)).ToList(), unchanged: true);
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }, ct);

    /// <summary>Writes an error log row and the asset's state; the asset's data is left as it was.</summary>
    public ValueTask<bool> ApplyFailureAsync(long runId, string serial, SyncErrorKind kind, string message, int attempts, int? httpStatus, long durationMs, CancellationToken ct) =>
        WithRetry(async token =>
        {
            await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(Sql.LogFailure, conn);
            cmd.Parameters.Add(Text(serial));
            cmd.Parameters.Add(new NpgsqlParameter { Value = runId, NpgsqlDbType = NpgsqlDbType.Bigint });
            cmd.Parameters.Add(Text(message));
            cmd.Parameters.Add(new NpgsqlParameter { Value = attempts, NpgsqlDbType = NpgsqlDbType.Integer });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)httpStatus ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            cmd.Parameters.Add(Text(kind.ToContractName()));
            cmd.Parameters.Add(new NpgsqlParameter { Value = (int)Math.Min(durationMs, int.MaxValue), NpgsqlDbType = NpgsqlDbType.Integer });
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }, ct);

    // ---- status -----------------------------------------------------------------------------

    public ValueTask<SyncStatus> GetStatusAsync(int lastRuns, TimeSpan staleAfter, CancellationToken ct) => WithRetry(async token =>
    {
        await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
        long total, synced, failed, never, unlinked, deferred, stale;
        DateTimeOffset? lastSyncAt, lastSuccessAt, oldest;
        TimeSpan? median, p95, max, ageSum;
        await using (var cmd = new NpgsqlCommand(Sql.Status, conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = staleAfter, NpgsqlDbType = NpgsqlDbType.Interval });
            await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
            await reader.ReadAsync(token).ConfigureAwait(false);
            total = reader.GetInt64(0);
            synced = reader.GetInt64(1);
            failed = reader.GetInt64(2);
            never = reader.GetInt64(3);
            deferred = reader.GetInt64(4);
            oldest = GetTimestamp(reader, 5);
            median = GetInterval(reader, 6);
            p95 = GetInterval(reader, 7);
            max = GetInterval(reader, 8);
            stale = reader.GetInt64(9);
            lastSyncAt = GetTimestamp(reader, 10);
            lastSuccessAt = GetTimestamp(reader, 11);
            unlinked = reader.GetInt64(12);
            ageSum = GetInterval(reader, reader.GetOrdinal("age_sum"));
        }

        bool lockHeld;
        await using (var cmd = new NpgsqlCommand(Sql.RunLockHeld, conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = Sql.RunLockKey });
            lockHeld = (bool)(await cmd.ExecuteScalarAsync(token).ConfigureAwait(false))!;
        }

        var runs = new List<SyncRunSummary>();
        if (lastRuns > 0)
        {
            await using var cmd = new NpgsqlCommand(Sql.LastRuns, conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = lastRuns });
            await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
            var newest = true;
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                var status = GetString(reader, 2) ?? "unknown";
                // A 'running' row is live only if it is the newest and someone holds the run lock.
                if (status == RunStatus.Running && !(newest && lockHeld))
                {
                    status = RunStatus.Interrupted;
                }
                newest = false;
                var succeeded = reader.IsDBNull(13) ? GetInt(reader, 6) ?? 0 : (int)reader.GetInt64(13);
                var failedRun = reader.IsDBNull(14) ? GetInt(reader, 7) ?? 0 : (int)reader.GetInt64(14);
                var duration = GetInt(reader, 9);
                var live = !reader.IsDBNull(13);
                var rowTotal = GetInt(reader, 5);
                var skippedRun = GetInt(reader, 8) ?? 0;
                runs.Add(new SyncRunSummary
                {
                    RunId = reader.GetInt64(0),
                    Mode = GetString(reader, 1),
                    Status = status,
                    StartedAt = GetTimestamp(reader, 3),
                    FinishedAt = GetTimestamp(reader, 4),
                    // A running row: its total is the selection written at the start; what is not decided yet is not reached.
                    Total = live ? Math.Max(rowTotal ?? 0, succeeded + failedRun + skippedRun) : rowTotal ?? succeeded + failedRun + skippedRun,
                    Succeeded = succeeded,
                    Failed = failedRun,
                    Skipped = skippedRun,
                    Duration = duration is null ? null : TimeSpan.FromMilliseconds(duration.Value),
                    Error = GetString(reader, 10),
                    Host = GetString(reader, 11),
                    User = GetString(reader, 12),
                    Unchanged = GetInt(reader, 15) ?? 0,
                    NotReached = live ? Math.Max((rowTotal ?? 0) - succeeded - failedRun - skippedRun, 0) : GetInt(reader, 16) ?? 0,
                    StoppedBy = GetString(reader, 17),
                    Requests = GetInt(reader, 18) ?? 0,
                    Throttled = GetInt(reader, 19) ?? 0,
                    RequestsPerSecond = reader.IsDBNull(20) ? null : reader.GetDouble(20),
                });
            }
        }

        return new SyncStatus
        {
            TotalAssets = total,
            SyncedAssets = synced,
            FailedAssets = failed,
            NeverSynced = never,
            UnlinkedAssets = unlinked,
            DeferredAssets = deferred,
            OldestSuccessAt = oldest,
            SyncAgeMedian = median,
            SyncAge95 = p95,
            SyncAgeMax = max,
            SyncAgeSum = ageSum,
            StaleAssets = stale,
            StaleAfter = staleAfter,
            LastSyncAt = lastSyncAt,
            LastSuccessAt = lastSuccessAt,
            LastRuns = runs,
        };
    }, ct);

    /// <param name="deferred">True: deferred failures only; false: those not deferred; null: all.</param>
    /// <param name="ct">Cancels the query.</param>
    public async IAsyncEnumerable<SyncFailure> GetFailuresAsync(bool? deferred, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var conn = await WithRetry(t => _dataSource.OpenConnectionAsync(t), ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(Sql.Failures, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)deferred ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean });
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            yield return new SyncFailure
            {
                SerialNumber = reader.GetString(0),
                ErrorKind = GetString(reader, 1),
                HttpStatus = GetInt(reader, 2),
                Attempts = GetInt(reader, 3),
                Error = GetString(reader, 4),
                FailedAt = GetTimestamp(reader, 5),
                RunId = reader.IsDBNull(6) ? null : reader.GetInt64(6),
                FailingSince = GetTimestamp(reader, 7),
                ConsecutiveFailures = GetInt(reader, 8) ?? 0,
                NextAttemptAt = GetTimestamp(reader, 9),
                LastSuccessAt = GetTimestamp(reader, 10),
                AssetCode = GetString(reader, 11),
                AssetName = GetString(reader, 12),
                Department = GetString(reader, 13),
                Deferred = reader.GetBoolean(14),
            };
        }
    }

    public ValueTask<(List<KeyValuePair<string, long>> Histogram, List<StaleAsset> Stalest)> GetFreshnessAsync(int limit, CancellationToken ct) => WithRetry(async token =>
    {
        await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
        var histogram = new List<KeyValuePair<string, long>>();
        await using (var cmd = new NpgsqlCommand(Sql.SyncAgeHistogram, conn))
        await using (var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false))
        {
            await reader.ReadAsync(token).ConfigureAwait(false);
            string[] labels = ["under 1 day", "1-2 days", "2-7 days", "7-30 days", "30 days or more", "never"];
            for (var i = 0; i < labels.Length; i++)
            {
                histogram.Add(new(labels[i], reader.GetInt64(i)));
            }
        }
        var stalest = new List<StaleAsset>();
        await using (var cmd = new NpgsqlCommand(Sql.Stalest, conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
            await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                stalest.Add(new StaleAsset
                {
                    SerialNumber = reader.GetString(0),
                    LastSuccessAt = GetTimestamp(reader, 1),
                    Status = GetString(reader, 2),
                    AssetCode = GetString(reader, 3),
                    AssetName = GetString(reader, 4),
                    Department = GetString(reader, 5),
                });
            }
        }
        return (histogram, stalest);
    }, ct);

    public ValueTask<List<string>> GetNeverSyncedAsync(int limit, CancellationToken ct) => WithRetry(async token =>
    {
        await using var conn = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(Sql.NeverSynced, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
        var serials = new List<string>(limit);
        await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            serials.Add(reader.GetString(0));
        }
        return serials;
    }, ct);

    // ---- helpers ----------------------------------------------------------------------------

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static async Task ExecAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct, params object[] values)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var v in values)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        }
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static string? GetString(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static TimeSpan? GetInterval(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<TimeSpan>(i);

    private static int? GetInt(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : Convert.ToInt32(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset? GetTimestamp(NpgsqlDataReader r, int i) =>
        r.IsDBNull(i) ? null : r.GetFieldValue<DateTime>(i) is var dt ? new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)) : null;

    public ValueTask DisposeAsync()
    {
        // An outage the run rode out is told even when the run ends before it settled.
        _outage.Flush();
        // The data source is shared by everything that uses this connection string in the process (DataSources): kept.
        return ValueTask.CompletedTask;
    }
}
