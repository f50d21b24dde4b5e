using System.Net;
using AssetSync.Innomaint;
using AssetSync.Simulator;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Reliability;

public sealed class HostileInputTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await db.ApplySchemaAsync();
        await db.ResetAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A body that never ends, made up as it is read, counting what was read.</summary>
    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position
        {
            get => BytesRead;
            set => throw new NotSupportedException();
        }

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (BytesRead >= 100L * 1024 * 1024)
            {
                return 0;
            }
            buffer.AsSpan(offset, count).Fill((byte)' ');
            BytesRead += count;
            return count;
        }
    }

    [Fact]
    public async Task A_100_MB_body_is_cut_off_at_the_limit_without_being_read()
    {
        var body = new EndlessStream();
        var handler = new StubHandler((_, _, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body) }));
        var client = new InnomaintClient(
            new HttpClient(handler),
            new Uri("http://127.0.0.1:9"),
            new AssetPathTemplate(AssetPathTemplate.Default),
            "t",
            1024 * 1024,
            TimeProvider.System
        );
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        var outcome = await client.FetchOnceAsync("S1", null, CancellationToken.None);

        Assert.Equal(SyncErrorKind.InvalidResponse, outcome.Kind);
        Assert.Contains("larger than the limit", outcome.Message);
        Assert.InRange(body.BytesRead, 1024 * 1024, 1024 * 1024 + 128 * 1024);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 16 * 1024 * 1024);
    }

    [Fact]
    public async Task A_declared_oversized_body_is_refused_before_reading()
    {
        var body = new EndlessStream();
        var handler = new StubHandler(
            (_, _, _) =>
            {
                var content = new StreamContent(body);
                content.Headers.ContentLength = 100L * 1024 * 1024;
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
            }
        );
        var client = new InnomaintClient(
            new HttpClient(handler),
            new Uri("http://127.0.0.1:9"),
            new AssetPathTemplate(AssetPathTemplate.Default),
            "t",
            1024 * 1024,
            TimeProvider.System
        );

        var outcome = await client.FetchOnceAsync("S1", null, CancellationToken.None);

        Assert.Equal(SyncErrorKind.InvalidResponse, outcome.Kind);
        Assert.Equal(0, body.BytesRead);
    }

    [Fact]
    public async Task Control_characters_and_huge_serials_are_stored_verbatim()
    {
        await using var sim = await SimulatorServer.StartAsync();
        string[] serials = ["bell\u0007", "new\nline", "nul-free\u001f", "crlf\r\nInjected: header", new string('Z', 10_240), "%00", "emoji-🛠"];
        await db.SeedAssetsAsync(serials);
        await using var engine = new SyncEngine(sim.SyncOptions(db.ConnectionString));

        var summary = await engine.RunAsync(AssetSelection.Batch(0));

        Assert.Equal(serials.Length, summary.Failed);
        var stored = (await db.RowsAsync("SELECT serialnumber, error_kind FROM ic3_sync_log WHERE run_id = $1", summary.RunId)).ToDictionary(
            r => (string)r[0]!,
            r => (string)r[1]!
        );
        foreach (var s in serials)
        {
            Assert.Equal("not_found", stored[s]);
            Assert.Equal(1, await sim.RequestsForAsync(s));
        }
    }

    [Fact]
    public async Task A_redirect_to_another_server_is_not_followed_so_the_token_never_reaches_it()
    {
        await using var other = await SimulatorServer.StartAsync();
        await using var sim = await SimulatorServer.StartAsync(o => { });
        sim.Options.RedirectTo = other.BaseUrl + "/api/v1/assets/INF-000001";
        await sim.ScriptAsync("INF-000001", "redirect");
        await db.SeedAssetsAsync(["INF-000001"]);
        await using var engine = new SyncEngine(sim.SyncOptions(db.ConnectionString));

        var summary = await engine.RunAsync(AssetSelection.Serials(["INF-000001"]));

        Assert.Equal(1, summary.Failed);
        var row = (await db.RowsAsync("SELECT error_kind, http_status FROM ic3_sync_log WHERE run_id = $1", summary.RunId)).Single();
        Assert.Equal(("client_error", 302), ((string)row[0]!, (int)row[1]!));
        Assert.Equal(0, (await other.StatsAsync()).GetProperty("requests").GetInt32());
    }

    [Fact]
    public async Task Tls_certificate_errors_stay_errors_unless_the_check_is_skipped()
    {
        await using var sim = await SimulatorServer.StartAsync(o => o.Https = true);
        Assert.StartsWith("https://", sim.BaseUrl);
        await db.SeedAssetsAsync(["INF-000002"]);

        await using (var strict = new SyncEngine(sim.SyncOptions(db.ConnectionString, o => o.MaximumRetryCount = 0)))
        {
            // A certificate that is not trusted is the way out's fault, not the asset's: the run stops and marks nothing.
            var ex = await Assert.ThrowsAsync<InnomaintUnreachableException>(() => strict.RunAsync(AssetSelection.Serials(["INF-000002"])));
            Assert.Contains("UntrustedRoot", ex.CertificateProblem, StringComparison.Ordinal);
            Assert.Contains("subject 'CN=127.0.0.1'", ex.Message, StringComparison.Ordinal);
            Assert.Equal(RunStatus.Failed, ex.Summary!.Status);
            Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1", ex.Summary.RunId));
        }

        await using var lax = new SyncEngine(sim.SyncOptions(db.ConnectionString, o => o.SkipCertificateCheck = true));
        Assert.Equal(1, (await lax.RunAsync(AssetSelection.Serials(["INF-000002"]))).Succeeded);
    }
}
