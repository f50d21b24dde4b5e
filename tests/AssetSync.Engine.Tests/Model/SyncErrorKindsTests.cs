using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Model;

/// <summary>The one error-kind type against the contracts: names, what is retried, what defers, what is logged.</summary>
public sealed class SyncErrorKindsTests
{
    [Fact]
    public void Logged_kinds_are_the_database_contracts_error_kind_values()
    {
        Assert.Equal(
            ["not_found", "client_error", "transient", "network", "timeout", "invalid_response", "database"],
            SyncErrorKinds.Logged.Select(k => k.ToContractName())
        );
        Assert.DoesNotContain(SyncErrorKind.Credentials, SyncErrorKinds.Logged);
    }

    [Fact]
    public void Only_not_found_and_client_error_defer_and_they_are_never_retried_at_once()
    {
        Assert.Equal([SyncErrorKind.NotFound, SyncErrorKind.ClientError], SyncErrorKinds.Deferring);
        Assert.All(SyncErrorKinds.Deferring, k => Assert.False(k.IsRetried()));
    }

    [Theory]
    [InlineData(404, SyncErrorKind.NotFound)]
    [InlineData(401, SyncErrorKind.Credentials)]
    [InlineData(403, SyncErrorKind.Credentials)]
    [InlineData(429, SyncErrorKind.Transient)]
    [InlineData(408, SyncErrorKind.Transient)]
    [InlineData(503, SyncErrorKind.Transient)]
    [InlineData(422, SyncErrorKind.ClientError)]
    [InlineData(505, SyncErrorKind.Transient)]
    public void Statuses_map_as_the_Innomaint_contract_table_says(int status, SyncErrorKind kind) =>
        Assert.Equal(kind, SyncErrorKinds.FromStatusCode(status));

    [Theory]
    [InlineData("not_found", true)]
    [InlineData("NotFound", true)]
    [InlineData("invalid-response", true)]
    [InlineData("credentials", false)]
    [InlineData("nonsense", false)]
    [InlineData(" ", false)]
    public void Parses_contract_and_enum_names_of_logged_kinds_only(string text, bool parses) =>
        Assert.Equal(parses, SyncErrorKinds.TryParse(text, out _));

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(100, 30)]
    public void The_deferral_doubles_from_one_day_up_to_thirty(int failures, int days) => Assert.Equal(days, Oracles.DeferralDays(failures));

    [Fact]
    public void Run_statuses_and_selection_modes_are_the_contract_names()
    {
        Assert.Equal(["complete", "cancelled", "failed"], RunStatusNames.Closing.Select(s => s.Name()));
        Assert.Equal("retry_failed", SelectionMode.RetryFailed.Name);
        Assert.Equal(SelectionMode.Serials, SelectionMode.FromName("serials"));
        Assert.Null(SelectionMode.FromName("nightly"));
        Assert.True(RunStatus.Interrupted.IsBroken());
        Assert.False(RunStatus.Complete.IsBroken());
        Assert.False(RunStatus.Running.IsBroken());
        // Every status's name reads back as that status; text that is none of the contract's is Unknown, never an exception.
        foreach (var status in Enum.GetValues<RunStatus>())
        {
            Assert.Equal(status, RunStatusNames.FromName(status.Name()));
        }
        Assert.Equal(RunStatus.Unknown, RunStatusNames.FromName("Complete"));
        Assert.Equal(RunStatus.Unknown, RunStatusNames.FromName(null));
    }
}
