using AssetSync.Storage;
using AssetSync.Storage.Migrations;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Storage;

/// <summary>The migration runner on its own, on an empty database: plans, applies version by version, never twice.</summary>
public sealed class MigrationRunnerTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private MigrationRunner Runner() => MigrationRunners.Runner(db.ConnectionString);

    [Fact]
    public async Task Plans_every_version_then_applies_them_one_at_a_time_and_each_only_once()
    {
        var runner = Runner();
        Assert.Equal(0, await runner.GetVersionAsync(CancellationToken.None));

        var plan = await runner.PlanAsync(CancellationToken.None);
        Assert.Equal(SchemaPlan.Versions.Select(v => v.Version), plan.Select(m => m.Version));
        Assert.All(plan, m => Assert.All(m.Steps, s => Assert.False(s.Done)));
        Assert.All(plan, m => Assert.Equal(SchemaPlan.Versions.Single(v => v.Version == m.Version).Steps.Count, m.Steps.Count));

        Assert.True(await runner.ApplyAsync(1, CancellationToken.None));
        Assert.Equal(1, await runner.GetVersionAsync(CancellationToken.None));
        Assert.False(await runner.ApplyAsync(1, CancellationToken.None));
        Assert.Equal(
            SchemaPlan.Versions.Where(v => v.Version > 1).Select(v => v.Version),
            (await runner.PlanAsync(CancellationToken.None)).Select(m => m.Version)
        );

        foreach (var (version, _, _) in SchemaPlan.Versions.Where(v => v.Version > 1))
        {
            Assert.True(await runner.ApplyAsync(version, CancellationToken.None));
        }
        Assert.Equal(SchemaPlan.LatestVersion, await runner.GetVersionAsync(CancellationToken.None));
        Assert.Empty(await runner.PlanAsync(CancellationToken.None));
    }

    [Fact]
    public void The_upgrade_defers_by_the_same_rule_the_runs_do()
    {
        var publish = SchemaPlan.Versions.SelectMany(v => v.Steps).Single(s => s.Name == "2.05-state-publish");
        Assert.Contains(DeferralSql.KindsLiteral, publish.Sql, StringComparison.Ordinal);
        Assert.Contains($"LEAST({DeferralSql.MaxDaysLiteral}, ", publish.Sql, StringComparison.Ordinal);
        Assert.Equal(["not_found", "client_error"], DeferralSql.Kinds);
    }
}
