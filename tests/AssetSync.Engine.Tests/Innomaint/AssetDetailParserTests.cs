using System.Text;
using AssetSync.Domain;
using AssetSync.Innomaint;

namespace AssetSync.Tests.Innomaint;

public class AssetDetailParserTests
{
    private static AssetDetail? Parse(string json, string serial, out string? error) =>
        AssetDetailParser.TryParse(Encoding.UTF8.GetBytes(json), serial, out error);

    [Fact]
    public void Maps_every_contract_field()
    {
        const string json = """
            {"serialnumber":"INF-000123","asset_code":"ICU-PUMP-07","asset_name":"Infusion Pump","category":"Biomedical",
             "make":"Baxter","model":"Sigma Spectrum","department":"ICU",
             "location":{"site":"Main Campus","building":"B2","floor":"3","room":"ICU-12"},
             "status":"In Service","criticality":"High","install_date":"2021-04-12","warranty_expiry":"2026-04-11",
             "last_modified":"2026-11-20T10:11:12Z","unknown_field":{"kept":true},
             "pm_schedules":[{"schedule_id":"PM-7781","task":"Electrical safety test","frequency_days":180,"next_due":"2027-01-05"}]}
            """;
        var a = Parse(json, "inf-000123", out var error);
        Assert.Null(error);
        Assert.NotNull(a);
        Assert.Equal("ICU-PUMP-07", a.AssetCode);
        Assert.Equal("Sigma Spectrum", a.Model);
        Assert.Equal("B2", a.LocationBuilding);
        Assert.Equal("ICU-12", a.LocationRoom);
        Assert.Equal("In Service", a.Status);
        Assert.Equal(new DateOnly(2021, 4, 12), a.InstallDate);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 10, 11, 12, TimeSpan.Zero), a.LastModified);
        var pm = Assert.Single(a.PmSchedules);
        Assert.Equal(new PmSchedule("PM-7781", "Electrical safety test", 180, new DateOnly(2027, 1, 5)), pm);
        Assert.Contains("unknown_field", a.RawPayload);
    }

    [Theory]
    [InlineData("2026-11-20T10:11:12", 0)]
    [InlineData("2026-11-20T10:11:12.500", 0)]
    [InlineData("2026-11-20T12:11:12+02:00", 2)]
    public void A_last_modified_without_an_offset_is_UTC_whatever_the_hosts_zone(string text, int offsetHours)
    {
        var a = Parse($$"""{"serialnumber":"S1","last_modified":"{{text}}"}""", "S1", out _)!;
        Assert.Equal(
            new DateTimeOffset(2026, 11, 20, 10, 11, 12, TimeSpan.Zero),
            a.LastModified!.Value.AddMilliseconds(-a.LastModified.Value.Millisecond)
        );
        Assert.Equal(TimeSpan.FromHours(offsetHours), a.LastModified.Value.Offset);
    }

    [Fact]
    public void Absent_and_null_fields_mean_no_value()
    {
        var a = Parse("""{"serialnumber":"S1","make":null,"location":null,"pm_schedules":null}""", "S1", out _);
        Assert.NotNull(a);
        Assert.Null(a.Make);
        Assert.Null(a.Model);
        Assert.Null(a.LocationSite);
        Assert.Empty(a.PmSchedules);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"make":"x"}""")]
    [InlineData("""{"serialnumber":"OTHER"}""")]
    [InlineData("""{"serialnumber":"S1","install_date":"12/04/2021"}""")]
    [InlineData("""{"serialnumber":"S1","make":5}""")]
    [InlineData("""{"serialnumber":"S1","pm_schedules":[{"schedule_id":"P","frequency_days":1.5}]}""")]
    [InlineData("""{"serialnumber":"S1","pm_schedules":[{"schedule_id":"P","frequency_days":"often"}]}""")]
    [InlineData("""{"serialnumber":"S1","pm_schedules":[{"schedule_id":"P"},{"schedule_id":"P"}]}""")]
    [InlineData("""{"serialnumber":"S1","last_modified":"yesterday"}""")]
    [InlineData("{\"serialnumber\":\"S1\"")]
    public void Invalid_bodies_are_rejected_with_a_reason(string json)
    {
        Assert.Null(Parse(json, "S1", out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void Deep_nesting_is_rejected()
    {
        var json = """{"serialnumber":"S1","x":""" + new string('[', 1000) + new string(']', 1000) + "}";
        Assert.Null(Parse(json, "S1", out var error));
        Assert.Contains("not valid JSON", error);
    }

    [Fact]
    public void Invalid_utf8_is_rejected()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"serialnumber":"S1","make":"X"}""").ToList();
        bytes.InsertRange(bytes.Count - 3, new byte[] { 0xC3, 0x28 });
        Assert.Null(AssetDetailParser.TryParse(bytes.ToArray(), "S1", out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("2026-12-07")]
    [InlineData("2024-02-29")]
    [InlineData("2026-02-29")]
    [InlineData("2026-13-01")]
    [InlineData("2026-00-10")]
    [InlineData("2026-04-31")]
    [InlineData("0000-01-01")]
    [InlineData("9999-12-31")]
    [InlineData("2026-1-07")]
    [InlineData("2026/12/07")]
    [InlineData(" 2026-12-07")]
    [InlineData("+026-12-07")]
    [InlineData("2026-12-0٧")]
    [InlineData("２０２６-12-07")]
    [InlineData("2026-12-07T00:00:00")]
    [InlineData("")]
    public void A_date_is_read_exactly_as_the_invariant_yyyy_MM_dd_parse_reads_it(string text)
    {
        var expected = DateOnly.TryParseExact(
            text,
            "yyyy-MM-dd",
            System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None,
            out var date
        );

        Assert.Equal(expected, AssetDetailParser.TryParseIsoDate(text, out var ours));
        Assert.Equal(date, ours);
    }
}
