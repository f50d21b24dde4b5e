using AssetSync.Simulator;

namespace AssetSync.Tests.Fixtures;

/// <summary>
/// The fixture of whole-run tests, once: a database of the class's own (schema applied, emptied before each test) and a
/// fresh simulator on 127.0.0.1 for each test, so no test depends on what another left behind.
/// </summary>
public abstract class SimulatorAndDatabaseTests(DatabaseFixture db, Action<SimulatorOptions>? simulator = null)
    : IClassFixture<DatabaseFixture>,
        IAsyncLifetime
{
    /// <summary>The class's database.</summary>
    protected DatabaseFixture Db { get; } = db;

    /// <summary>This test's simulator.</summary>
    protected SimulatorServer Sim { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Sim = await SimulatorServer.StartAsync(simulator);
        await Db.ApplySchemaAsync();
        await Db.ResetAsync();
    }

    public async Task DisposeAsync() => await Sim.DisposeAsync();
}
