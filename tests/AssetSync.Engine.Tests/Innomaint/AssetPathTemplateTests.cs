using AssetSync.Innomaint;

namespace AssetSync.Tests.Innomaint;

public class AssetPathTemplateTests
{
    [Theory]
    [InlineData("INF-000123", "/api/v1/assets/INF-000123")]
    [InlineData("a/b", "/api/v1/assets/a%2Fb")]
    [InlineData("..", "/api/v1/assets/%2E%2E")]
    [InlineData(".", "/api/v1/assets/%2E")]
    [InlineData("x?y=1#z", "/api/v1/assets/x%3Fy%3D1%23z")]
    [InlineData("100%", "/api/v1/assets/100%25")]
    [InlineData("a b", "/api/v1/assets/a%20b")]
    [InlineData("Zürich-Ω", "/api/v1/assets/Z%C3%BCrich-%CE%A9")]
    [InlineData("o'neil\"s", "/api/v1/assets/o%27neil%22s")]
    public void Expand_encodes_the_serial_as_one_segment(string serial, string expected) =>
        Assert.Equal(expected, new AssetPathTemplate(AssetPathTemplate.Default).Expand(serial));

    [Fact]
    public void A_template_without_the_placeholder_is_refused_with_the_fix()
    {
        var ex = Assert.Throws<SyncConfigurationException>(() => new AssetPathTemplate("/api/v1/assets/"));
        Assert.Equal("AssetPath", ex.Setting);
        Assert.Contains("{serialnumber}", ex.Message);
    }

    [Fact]
    public void The_placeholder_may_sit_inside_a_longer_path()
    {
        var t = new AssetPathTemplate("/cmms/{serialnumber}/detail?view=full");
        Assert.Equal("/cmms/a%2Fb/detail?view=full", t.Expand("a/b"));
    }
}
