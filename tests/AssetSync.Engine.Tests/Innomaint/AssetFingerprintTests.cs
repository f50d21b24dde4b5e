using System.Text;
using AssetSync.Innomaint;

namespace AssetSync.Tests.Innomaint;

/// <summary>The fingerprint of what AssetSync writes: blind to what IC3 does not store, alive to everything it does.</summary>
public sealed class AssetFingerprintTests
{
    private const string Body = """
        {"serialnumber":"INF-1","asset_code":"ICU-7","asset_name":"Pump","category":"Bio","make":"Baxter","model":"Sigma","department":"ICU",
         "location":{"site":"Main","building":"B2","floor":"3","room":"12"},"status":"In Service","criticality":"High",
         "install_date":"2021-04-12","warranty_expiry":"2026-04-11","last_modified":"2026-11-20T10:11:12Z",
         "pm_schedules":[{"schedule_id":"PM-1","task":"Test","frequency_days":180,"next_due":"2027-01-05"},
                         {"schedule_id":"PM-2","task":"Clean","frequency_days":30,"next_due":"2026-12-24"}]}
        """;

    private static byte[] Of(string body) =>
        AssetFingerprint.Of(
            AssetDetailParser.TryParse(Encoding.UTF8.GetBytes(body), "INF-1", out var error) ?? throw new InvalidOperationException(error)
        );

    [Fact]
    public void The_canonical_form_is_stable_so_fingerprints_stored_by_an_earlier_version_still_match()
    {
        // Pinned: a change to the form makes every stored asset look changed on the first night after an upgrade. Bump
        // FormVersion, and this value, only on purpose.
        Assert.Equal("85086338d307dffa95a633159ee0f71bd053d2c3d8d48574fa2c357df11357a6", Convert.ToHexStringLower(Of(Body)));
    }

    [Fact]
    public void Field_order_whitespace_unmapped_fields_schedule_order_and_last_modified_do_not_count()
    {
        var original = Of(Body);
        var reordered = """
            {"pm_schedules":[{"next_due":"2026-12-24","frequency_days":30,"task":"Clean","schedule_id":"PM-2"},
                             {"schedule_id":"PM-1","task":"Test","frequency_days":180,"next_due":"2027-01-05"}],
             "criticality":"High","status":"In Service","location":{"room":"12","floor":"3","building":"B2","site":"Main"},
             "department":"ICU","model":"Sigma","make":"Baxter","category":"Bio","asset_name":"Pump","asset_code":"ICU-7",
             "install_date":"2021-04-12","warranty_expiry":"2026-04-11","serialnumber":"inf-1",
             "served_at":"2026-12-06T21:00:00.123Z","request_id":"9f1c","last_modified":"2026-12-06T21:00:00Z"}
            """;
        Assert.Equal(original, Of(reordered));
    }

    [Theory]
    [InlineData("\"make\":\"Baxter\"", "\"make\":\"Baxter \"")]
    [InlineData("\"model\":\"Sigma\"", "\"model\":null")]
    [InlineData("\"room\":\"12\"", "\"room\":\"13\"")]
    [InlineData("\"criticality\":\"High\"", "\"criticality\":\"Low\"")]
    [InlineData("\"install_date\":\"2021-04-12\"", "\"install_date\":\"2021-04-13\"")]
    [InlineData("\"frequency_days\":180", "\"frequency_days\":181")]
    [InlineData("\"next_due\":\"2026-12-24\"", "\"next_due\":\"2026-12-25\"")]
    [InlineData("\"schedule_id\":\"PM-2\"", "\"schedule_id\":\"PM-3\"")]
    [InlineData("\"pm_schedules\":[", "\"pm_schedules\":[{\"schedule_id\":\"PM-0\",\"task\":null,\"frequency_days\":1,\"next_due\":null},")]
    [InlineData("\"asset_name\":\"Pump\"", "\"asset_name\":\"\"")]
    public void Any_change_to_what_IC3_stores_changes_it(string from, string to)
    {
        Assert.Contains(from, Body, StringComparison.Ordinal);
        Assert.NotEqual(Of(Body), Of(Body.Replace(from, to, StringComparison.Ordinal)));
    }

    [Fact]
    public void Null_and_empty_differ_and_values_cannot_run_into_each_other()
    {
        Assert.NotEqual(
            Of(Body.Replace("\"make\":\"Baxter\",\"model\":\"Sigma\"", "\"make\":\"BaxterSigma\",\"model\":\"\"", StringComparison.Ordinal)),
            Of(Body)
        );
        Assert.NotEqual(
            Of(Body.Replace("\"category\":\"Bio\"", "\"category\":null", StringComparison.Ordinal)),
            Of(Body.Replace("\"category\":\"Bio\"", "\"category\":\"\"", StringComparison.Ordinal))
        );
    }
}
