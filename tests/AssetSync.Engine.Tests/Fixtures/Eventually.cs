namespace AssetSync.Tests.Fixtures;

/// <summary>
/// The one poll-until of the suite, for states no event announces (a row another session writes): it looks every 20 ms and
/// fails naming what it waited for and what it last saw. Where an event exists, wait on it instead (RecordingObserver).
/// </summary>
public static class Eventually
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(30);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var seen = await probe();
            if (done(seen))
            {
                return seen;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Waited {limit.TotalSeconds:0} s for {what}; last seen: {seen}.");
            }
            await Task.Delay(20);
        }
    }
}
