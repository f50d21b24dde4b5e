using System.Text.Json;

namespace AssetSync.Storage;

/// <summary>
/// A run's estimate as cmms_sync_log.estimated_outdated keeps it: one JSON array of the criticality groups
/// (<c>criticality</c>, <c>synced</c>, <c>expected</c>, <c>variance</c>); the whole register is their sum, so it is not stored
/// twice. Groups past <see cref="Shown"/> are folded into one, <see cref="Others"/>, so the sum stays exact and the row small.
/// </summary>
internal static class OutdatedEstimates
{
    /// <summary>Criticality groups shown (status, the metrics file, a run's row): a register with free text there has many.</summary>
    public const int Shown = 50;

    /// <summary>The whole register: the groups added up (chances and variances both add, the assets being independent).</summary>
    public static OutdatedEstimate Sum(IReadOnlyList<(OutdatedEstimate Estimate, double Variance)> groups) =>
        OutdatedEstimate.From(null, groups.Sum(g => g.Estimate.SyncedAssets), groups.Sum(g => g.Estimate.Expected), groups.Sum(g => g.Variance));

    /// <summary>The name of the group the criticalities past <see cref="Shown"/> are folded into.</summary>
    public const string Others = "(other criticalities)";

    public static string ToJson(IReadOnlyList<(OutdatedEstimate Estimate, double Variance)> all)
    {
        var groups = all.Take(Shown).ToList();
        if (all.Count > Shown)
        {
            var rest = all.Skip(Shown).ToList();
            var folded = Sum(rest);
            groups.Add((folded with { Criticality = Others }, rest.Sum(g => g.Variance)));
        }
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (estimate, variance) in groups)
            {
                json.WriteStartObject();
                json.WriteString("criticality", estimate.Criticality);
                json.WriteNumber("synced", estimate.SyncedAssets);
                json.WriteNumber("expected", estimate.Expected);
                json.WriteNumber("variance", variance);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The whole register's estimate and the groups'; nothing for a row without one (or one this version cannot read).</summary>
    public static (OutdatedEstimate? All, IReadOnlyList<OutdatedEstimate> ByCriticality) FromJson(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return (null, []);
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            var groups = new List<(OutdatedEstimate Estimate, double Variance)>();
            foreach (var g in doc.RootElement.EnumerateArray())
            {
                var variance = g.GetProperty("variance").GetDouble();
                var name = g.TryGetProperty("criticality", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                groups.Add(
                    (OutdatedEstimate.From(name, g.GetProperty("synced").GetInt64(), g.GetProperty("expected").GetDouble(), variance), variance)
                );
            }
            return (Sum(groups), groups.ConvertAll(g => g.Estimate));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return (null, []);
        }
    }
}
