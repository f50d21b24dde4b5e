using AssetSync.Innomaint;

namespace AssetSync.Tests.Innomaint;

/// <summary>What an answer says of when its asset changed: stamped on read, or moved onto our clock.</summary>
public sealed class ChangeTimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 21, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_last_modified_within_seconds_of_its_own_Date_is_stamped_on_read()
    {
        Assert.True(ChangeTime.Read(Now.AddSeconds(-1), Now, Now).StampedOnRead);
        Assert.True(ChangeTime.Read(Now.AddHours(5).AddSeconds(1), Now.AddHours(5), Now).StampedOnRead); // a skewed server stamps in its own time
        Assert.False(ChangeTime.Read(Now.AddSeconds(-30), Now, Now).StampedOnRead);
        Assert.False(ChangeTime.Read(Now.AddSeconds(-1), null, Now).StampedOnRead); // no Date: nothing to tell by
        Assert.Equal(default, ChangeTime.Read(null, Now, Now));
    }

    [Fact]
    public void A_server_clock_off_ours_is_corrected_by_its_Date_and_a_near_one_is_left_alone()
    {
        // The server runs an hour ahead: a last_modified two hours before its Date is two hours ago on our clock.
        var read = ChangeTime.Read(Now.AddHours(1).AddHours(-2), Now.AddHours(1), Now);
        Assert.Equal(Now.AddHours(-2), read.ChangedAt);
        Assert.Equal(Now.AddDays(-3), ChangeTime.Read(Now.AddDays(-3), Now.AddSeconds(1), Now).ChangedAt);
        Assert.Equal(Now.AddDays(-3), ChangeTime.Read(Now.AddDays(-3), null, Now).ChangedAt);
    }
}
