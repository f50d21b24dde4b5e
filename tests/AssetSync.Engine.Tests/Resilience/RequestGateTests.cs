using AssetSync.Innomaint;
using AssetSync.Resilience;
using AssetSync.Tests.Fixtures;
using Microsoft.Extensions.Time.Testing;

namespace AssetSync.Tests.Resilience;

/// <summary>The gate on a fake clock: order by ticket, the rate's spacing, the server's window, slots, cancellation.</summary>
public class RequestGateTests
{
    private readonly FakeTimeProvider _time = new();

    private RequestGate Create(RequestRate rate, int inFlight = 4, TimeSpan? latency = null, RecordingObserver? notes = null, int maxInFlight = 64) =>
        new(new RateController(_time, rate, 5, null), inFlight, maxInFlight, _time, Health(latency), notes ?? new RecordingObserver());

    /// <summary>A service health whose healthy latency is <paramref name="latency"/> (unknown when null).</summary>
    private ServiceHealth Health(TimeSpan? latency)
    {
        var health = new ServiceHealth(_time, TimeSpan.FromSeconds(15));
        if (latency is { } l)
        {
            health.Answered(l);
        }
        return health;
    }

    /// <summary>Waits for a task that the fake clock has made ready: returns as soon as it completes (a busy machine gets 10 s).</summary>
    private static async Task<bool> Done(Task task)
    {
        await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10)));
        return task.IsCompleted;
    }

    /// <summary>True when a task the fake clock has not made ready is still waiting after its continuations had time to run.</summary>
    private static async Task<bool> NotDone(Task task)
    {
        await Task.WhenAny(task, Task.Delay(100));
        return !task.IsCompleted;
    }

    /// <summary>Takes the first request and answers it: until the first answer, one request at a time.</summary>
    private static async Task Warm(RequestGate gate, RateLimitStatement limits = default)
    {
        using var lease = await gate.EnterAsync(0, CancellationToken.None);
        gate.Answered(lease, 200, limits);
    }

    [Fact]
    public async Task Tokens_are_spaced_1_01_over_the_rate_apart_on_the_clock()
    {
        var gate = Create(RequestRate.Fixed(5));
        await Warm(gate);
        var next = gate.EnterAsync(1, CancellationToken.None).AsTask();
        Assert.True(await NotDone(next));
        _time.Advance(TimeSpan.FromMilliseconds(201));
        Assert.True(await NotDone(next));
        _time.Advance(TimeSpan.FromMilliseconds(1.5));
        Assert.True(await Done(next));
        (await next).Dispose();
    }

    [Fact]
    public async Task Requests_go_in_ticket_order_not_in_the_order_they_came()
    {
        var gate = Create(RequestRate.Fixed(double.PositiveInfinity), inFlight: 1);
        await Warm(gate);
        var holder = await gate.EnterAsync(1, CancellationToken.None); // the one slot is taken
        var order = new List<long>();
        var waiting = new List<Task>();
        foreach (var ticket in new long[] { 9, 3, 7, 2 })
        {
            var arrived = waiting.Count + 1;
            waiting.Add(
                Task.Run(async () =>
                {
                    using var lease = await gate.EnterAsync(ticket, CancellationToken.None);
                    lock (order)
                    {
                        order.Add(ticket);
                    }
                })
            );
            // Each arrives, and is waiting at the gate, before the next comes: a signal, not a sleep.
            await Eventually.UntilAsync(
                () => Task.FromResult(gate.Waiting),
                n => n >= arrived,
                $"ticket {ticket} waiting at the gate",
                TimeSpan.FromSeconds(10)
            );
        }
        holder.Dispose();
        await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(order.SequenceEqual([2L, 3, 7, 9]), string.Join(",", order));
    }

    [Fact]
    public async Task A_cancelled_waiter_is_skipped_and_its_cancellation_is_prompt()
    {
        var gate = Create(RequestRate.Fixed(double.PositiveInfinity), inFlight: 1);
        await Warm(gate);
        var holder = await gate.EnterAsync(1, CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var cancelled = gate.EnterAsync(2, cts.Token).AsTask();
        var next = gate.EnterAsync(3, CancellationToken.None).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(5)));
        holder.Dispose();
        (await next.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Fact]
    public async Task Until_the_first_answer_one_request_at_a_time()
    {
        var gate = Create(RequestRate.Fixed(double.PositiveInfinity), inFlight: 4);
        var first = await gate.EnterAsync(1, CancellationToken.None);
        var second = gate.EnterAsync(2, CancellationToken.None).AsTask();
        Assert.True(await NotDone(second));
        gate.Answered(first, 200, default);
        first.Dispose();
        Assert.True(await Done(second));
        var third = gate.EnterAsync(3, CancellationToken.None).AsTask();
        Assert.True(await Done(third)); // now the limit is -ThrottleLimit
        (await second).Dispose();
        (await third).Dispose();
    }

    [Fact]
    public async Task Nothing_goes_while_the_server_says_none_remain_until_it_resets_or_a_newer_answer_says_more()
    {
        var gate = Create(RequestRate.Fixed(double.PositiveInfinity));
        await Warm(gate, new RateLimitStatement(null, 1, TimeSpan.FromSeconds(2)));
        (await gate.EnterAsync(1, CancellationToken.None)).Dispose(); // the one that remained
        var blocked = gate.EnterAsync(2, CancellationToken.None).AsTask();
        Assert.True(await NotDone(blocked));
        _time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.True(await NotDone(blocked));
        _time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.True(await Done(blocked));
        var lease = await blocked;

        // Told 0 remain for 5 s, then a newer answer says the window has reset: the wait ends at once.
        gate.Answered(lease, 200, new RateLimitStatement(null, 0, TimeSpan.FromSeconds(5)));
        lease.Dispose();
        var waiting = gate.EnterAsync(3, CancellationToken.None).AsTask();
        Assert.True(await NotDone(waiting));
        gate.Answered(default, 200, new RateLimitStatement(null, 10, TimeSpan.FromSeconds(1)));
        Assert.True(await Done(waiting));
        (await waiting).Dispose();
    }

    [Fact]
    public async Task A_malformed_header_is_said_once_a_run()
    {
        var notes = new RecordingObserver();
        var gate = Create(RequestRate.Fixed(double.PositiveInfinity), notes: notes);
        var bad = new RateLimitStatement(null, null, null) { Malformed = ["X-RateLimit-Limit (expected a number of requests)"] };
        for (var i = 0; i < 3; i++)
        {
            using var lease = await gate.EnterAsync(i, CancellationToken.None);
            gate.Answered(lease, 200, bad);
        }
        Assert.Single(notes.VerboseLines, v => v.Contains("X-RateLimit-Limit", StringComparison.Ordinal));
    }

    [Fact]
    public void An_adaptive_rate_raises_the_in_flight_limit_with_the_rate_and_a_fixed_one_keeps_the_throttle_limit()
    {
        var fixedGate = Create(RequestRate.Fixed(100), inFlight: 4, latency: TimeSpan.FromMilliseconds(500));
        var auto = new RequestGate(
            new RateController(_time, RequestRate.Auto, 5, null),
            4,
            64,
            _time,
            Health(TimeSpan.FromMilliseconds(500)),
            new RecordingObserver()
        );
        // Before any answer: one.
        Assert.Equal(1, auto.InFlightLimit);
        MarkAnswered(auto);
        MarkAnswered(fixedGate);
        Assert.Equal(4, fixedGate.InFlightLimit);
        Assert.Equal(5, auto.InFlightLimit); // 5/s x 0.5 s x 1.25 + 1 = 4.1 → 5
        var rate = new RateController(_time, RequestRate.Auto, 5, null);
        rate.Answered(_time.GetTimestamp(), false, statedQuota: 80, "RateLimit-Policy");
        var fast = new RequestGate(rate, 4, 64, _time, Health(TimeSpan.FromMilliseconds(500)), new RecordingObserver());
        MarkAnswered(fast);
        Assert.Equal(51, fast.InFlightLimit); // 80/s x 0.5 s x 1.25 + 1
    }

    [Fact]
    public async Task A_hanging_request_that_later_ones_overtake_stops_holding_its_slot_up_to_four_times_the_limit()
    {
        var health = Health(TimeSpan.FromMilliseconds(100));
        var gate = new RequestGate(
            new RateController(_time, RequestRate.Fixed(double.PositiveInfinity), 5, null),
            2,
            2,
            _time,
            health,
            new RecordingObserver()
        );
        await Warm(gate);
        var hung = new List<RequestGate.GateLease>();
        long ticket = 1;

        // One request hangs; one sent after it is answered (the service answers others), so the first is overtaken.
        async Task HangOneAndOvertakeIt()
        {
            hung.Add(await gate.EnterAsync(ticket++, CancellationToken.None));
            _time.Advance(TimeSpan.FromMilliseconds(1));
            var later = await gate.EnterAsync(ticket++, CancellationToken.None);
            _time.Advance(TimeSpan.FromMilliseconds(100));
            health.Answered(TimeSpan.FromMilliseconds(100));
            gate.Answered(later, 200, default);
            later.Dispose();
        }

        await HangOneAndOvertakeIt();
        // A second one in flight, not overtaken: with the hung one, both slots are held for now.
        var second = await gate.EnterAsync(ticket++, CancellationToken.None);
        var next = gate.EnterAsync(ticket++, CancellationToken.None).AsTask();
        Assert.True(await NotDone(next));
        // Past 4 x 100 ms (at least 0.5 s) the hung one is overdue, and answers still come: it holds no slot any more.
        _time.Advance(TimeSpan.FromMilliseconds(450));
        health.Answered(TimeSpan.FromMilliseconds(100));
        Assert.True(await Done(next));
        (await next).Dispose();
        // The second is overdue too, but nothing sent after it was answered: it keeps its slot.
        Assert.Equal(2, gate.InFlight);
        second.Dispose();

        // Hard cap: 4 x 2 in flight at most, however many are overdue and overtaken. (Each round needs room for two.)
        while (gate.InFlight < (2 * RequestGate.OverdueCap) - 1)
        {
            await HangOneAndOvertakeIt();
            _time.Advance(TimeSpan.FromMilliseconds(600));
            health.Answered(TimeSpan.FromMilliseconds(100));
        }
        var last = gate.EnterAsync(ticket++, CancellationToken.None).AsTask();
        Assert.True(await Done(last));
        hung.Add(await last);
        Assert.Equal(2 * RequestGate.OverdueCap, gate.InFlight);
        var capped = gate.EnterAsync(ticket++, CancellationToken.None).AsTask();
        Assert.True(await NotDone(capped));
        hung[0].Dispose();
        Assert.True(await Done(capped));
        (await capped).Dispose();
        foreach (var lease in hung.Skip(1))
        {
            lease.Dispose();
        }
    }

    [Fact]
    public async Task When_answers_stop_nothing_is_exempt_and_a_stall_halves_the_limit()
    {
        var health = Health(TimeSpan.FromMilliseconds(100));
        var gate = new RequestGate(
            new RateController(_time, RequestRate.Fixed(double.PositiveInfinity), 5, null),
            4,
            4,
            _time,
            health,
            new RecordingObserver()
        );
        await Warm(gate);
        var leases = new List<RequestGate.GateLease>();
        for (var i = 1; i <= 4; i++)
        {
            leases.Add(await gate.EnterAsync(i, CancellationToken.None));
        }
        // No answer comes any more: the four are overdue, but the service is the one not answering.
        _time.Advance(TimeSpan.FromSeconds(2));
        var next = gate.EnterAsync(5, CancellationToken.None).AsTask();
        Assert.True(await NotDone(next));
        Assert.Equal(4, gate.InFlightLimit);
        health.NoAnswer(FetchOutcome.Failure(SyncErrorKind.Timeout, "no answer"));
        health.NoAnswer(FetchOutcome.Failure(SyncErrorKind.Timeout, "no answer"));
        Assert.Equal(2, gate.InFlightLimit);
        // Two of them time out and leave: still two in flight, the stalled limit; nothing more goes.
        leases[0].Dispose();
        leases[1].Dispose();
        Assert.True(await NotDone(next));
        leases[2].Dispose();
        Assert.True(await Done(next));
        (await next).Dispose();
        leases[3].Dispose();
    }

    [Fact]
    public void Timeouts_never_grow_an_adaptive_in_flight_limit_and_no_advice_to_raise_the_throttle_limit_comes_of_them()
    {
        var notes = new RecordingObserver();
        var health = Health(TimeSpan.FromMilliseconds(100));
        var rate = new RateController(_time, RequestRate.Auto, 20, null);
        var gate = new RequestGate(rate, 4, 64, _time, health, notes);
        MarkAnswered(gate);
        var before = gate.InFlightLimit;
        for (var i = 0; i < 20; i++)
        {
            health.NoAnswer(FetchOutcome.Failure(SyncErrorKind.Timeout, "no answer"));
        }
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(gate.InFlightLimit <= before, $"{gate.InFlightLimit} > {before}");
        Assert.DoesNotContain(notes.VerboseLines, l => l.Contains("-ThrottleLimit", StringComparison.Ordinal));
    }

    private static void MarkAnswered(RequestGate gate) => gate.Answered(default, 200, default);
}
