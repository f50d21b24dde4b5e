using AssetSync.Resilience;
using Microsoft.Extensions.Time.Testing;

namespace AssetSync.Tests.Resilience;

public class RateBudgetTests
{
    [Fact]
    public async Task Tokens_are_spaced_one_interval_apart_on_the_clock()
    {
        var time = new FakeTimeProvider();
        using var budget = new RateBudget(5, time);
        Assert.Equal(202, budget.Interval.TotalMilliseconds, 3);

        using (var first = await budget.AcquireAsync())
        {
            Assert.True(first.IsAcquired);
        }
        var second = budget.AcquireAsync().AsTask();
        await Task.Delay(20);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(201));
        await Task.Delay(20);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1.1));
        using var lease = await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(lease.IsAcquired);
    }

    [Fact]
    public async Task Attempt_acquire_refuses_before_the_interval()
    {
        var time = new FakeTimeProvider();
        using var budget = new RateBudget(10, time);
        using var a = budget.AttemptAcquire();
        using var b = budget.AttemptAcquire();
        Assert.True(a.IsAcquired);
        Assert.False(b.IsAcquired);
        time.Advance(TimeSpan.FromMilliseconds(102));
        using var c = budget.AttemptAcquire();
        Assert.True(c.IsAcquired);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_waiting_acquire_is_cancellable()
    {
        var time = new FakeTimeProvider();
        using var budget = new RateBudget(1, time);
        using var first = await budget.AcquireAsync();
        using var cts = new CancellationTokenSource();
        var waiting = budget.AcquireAsync(1, cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
