using AssetSync.Storage;
using AssetSync.Storage.Migrations;

namespace AssetSync.Tests.Fixtures;

/// <summary>A migration runner on a test database, as the migration tests drive it version by version.</summary>
internal static class MigrationRunners
{
    public static MigrationRunner Runner(string connectionString) =>
        new(
            new MigrationContext
            {
                DataSource = DataSources.For(connectionString),
                Time = TimeProvider.System,
                Target = "test",
            }
        );
}
