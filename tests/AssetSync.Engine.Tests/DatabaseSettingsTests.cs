using Npgsql;

namespace AssetSync.Tests;

/// <summary>The database login kept apart from the connection string; never echoed.</summary>
public class DatabaseSettingsTests
{
    [Fact]
    public void A_credential_fills_Username_and_Password()
    {
        var cs = DatabaseSettings.WithCredential("Host=db01;Database=ic3", "assetsync", "s3cret-pw");
        var b = new NpgsqlConnectionStringBuilder(cs);
        Assert.Equal(("assetsync", "s3cret-pw", "ic3"), (b.Username, b.Password, b.Database));
    }

    [Fact]
    public void A_connection_string_with_a_Password_is_refused_with_a_credential_and_nothing_echoed()
    {
        var ex = Assert.Throws<SyncConfigurationException>(() =>
            DatabaseSettings.WithCredential("Host=db01;Database=ic3;Username=u;Password=old-pw-1", "u", "new-pw-2")
        );
        Assert.Equal("DatabaseCredential", ex.Setting);
        Assert.DoesNotContain("old-pw-1", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("new-pw-2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_masks_the_password_and_keeps_the_rest()
    {
        var redacted = DatabaseSettings.Redact("Host=db01;Database=ic3;Username=u;Password=pw-9");
        Assert.DoesNotContain("pw-9", redacted, StringComparison.Ordinal);
        Assert.Contains("Password=********", redacted, StringComparison.Ordinal);
        Assert.Contains("Host=db01", redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Integrated_Security_gets_the_advice_Npgsql_can_follow()
    {
        var ex = Assert.Throws<SyncConfigurationException>(() =>
            DatabaseSettings.ValidateConnectionString("Host=db01;Database=ic3;Integrated Security=true")
        );
        Assert.Contains("Kerberos", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Passfile", ex.Message, StringComparison.Ordinal);
    }
}
