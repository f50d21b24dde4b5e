using System.Text.Json.Nodes;

namespace AssetSync.Simulator;

/// <summary>Deterministic, realistic asset bodies: the same serial and seed give the same body every time.</summary>
public static class AssetGenerator
{
    private static readonly (string Category, string Make, string Model, string Name)[] Catalog =
    [
        ("Biomedical", "Baxter", "Sigma Spectrum", "Infusion Pump"),
        ("Biomedical", "Philips", "IntelliVue MX450", "Patient Monitor"),
        ("Biomedical", "GE Healthcare", "Carescape R860", "Ventilator"),
        ("Biomedical", "Zoll", "R Series", "Defibrillator"),
        ("Imaging", "Siemens", "Mobilett Elara Max", "Mobile X-Ray"),
        ("Imaging", "Canon", "Aplio i800", "Ultrasound"),
        ("Facilities", "Carrier", "AquaEdge 19DV", "Chiller"),
        ("Facilities", "Otis", "Gen2", "Elevator"),
        ("Facilities", "Cummins", "C1000D6", "Generator"),
        ("Laboratory", "Thermo Fisher", "Heraeus Megafuge", "Centrifuge"),
    ];

    private static readonly string[] Departments = ["ICU", "ER", "Radiology", "Surgery", "Cardiology", "Laboratory", "Engineering", "Pediatrics"];
    private static readonly string[] Statuses = ["In Service", "In Service", "In Service", "Under Maintenance", "Standby"];
    private static readonly string[] Criticalities = ["High", "Medium", "Low"];
    private static readonly int[] FrequencyDays = [30, 90, 180, 365];

    private static readonly string[] Tasks =
    [
        "Electrical safety test",
        "Calibration",
        "Filter replacement",
        "Battery check",
        "Performance verification",
    ];

    public static string SerialFor(int index) => $"INF-{index:000000}";

    /// <summary>The 200 body for <paramref name="serial"/>, as it first is (version 0).</summary>
    public static JsonObject Body(string serial, int seed) => Body(serial, seed, 0);

    /// <summary>
    /// The body after <paramref name="version"/> changes in Innomaint: status, room and last_modified move on, the rest stays.
    /// Version 0 is <see cref="Body(string, int)"/>.
    /// </summary>
    public static JsonObject Body(string serial, int seed, int version) => Body(serial, seed, version, null);

    /// <summary>
    /// The body after <paramref name="version"/> changes, last changed at <paramref name="lastModified"/> (a change process's
    /// instant, to the millisecond: a compressed day may last seconds); without it, as <see cref="Body(string, int, int)"/>.
    /// </summary>
    public static JsonObject Body(string serial, int seed, int version, DateTimeOffset? lastModified)
    {
        var body = Original(serial, seed);
        if (version > 0)
        {
            // Every change moves something IC3 stores (the asset to another room), as a real change does: a status that came
            // round to the same value would be no change at all to IC3, and the truth would count it.
            body["status"] = Statuses[(StableHash(serial) + version) % Statuses.Length];
            body["location"]!["room"] = $"{body["department"]}-{100 + version}";
            body["last_modified"] = LastModified(serial, seed, version).ToString("yyyy-MM-ddTHH:mm:ssZ");
        }
        if (lastModified is { } at)
        {
            body["last_modified"] = at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        }
        return body;
    }

    /// <summary>When the asset last changed in Innomaint, for its version (the Last-Modified header).</summary>
    public static DateTimeOffset LastModified(string serial, int seed, int version) =>
        new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(StableHash($"{seed}|{serial}|lm") % 40000).AddDays(version);

    private static JsonObject Original(string serial, int seed)
    {
        var rng = new Random(StableHash($"{seed}|{serial}"));
        var item = Catalog[rng.Next(Catalog.Length)];
        var department = Departments[rng.Next(Departments.Length)];
        var install = new DateOnly(2015, 1, 1).AddDays(rng.Next(0, 3650));
        var schedules = new JsonArray();
        var count = rng.Next(0, 4);
        for (var i = 0; i < count; i++)
        {
            schedules.Add(
                new JsonObject
                {
                    ["schedule_id"] = $"PM-{StableHash(serial) % 9000 + 1000}-{i + 1}",
                    ["task"] = Tasks[rng.Next(Tasks.Length)],
                    ["frequency_days"] = FrequencyDays[rng.Next(FrequencyDays.Length)],
                    ["next_due"] = new DateOnly(2026, 12, 1).AddDays(rng.Next(0, 365)).ToString("yyyy-MM-dd"),
                }
            );
        }
        return new JsonObject
        {
            ["serialnumber"] = serial,
            ["asset_code"] = $"{department}-{item.Name.Split(' ')[0].ToUpperInvariant()}-{rng.Next(1, 99):00}",
            ["asset_name"] = item.Name,
            ["category"] = item.Category,
            ["make"] = item.Make,
            ["model"] = item.Model,
            ["department"] = department,
            ["location"] = new JsonObject
            {
                ["site"] = rng.Next(3) == 0 ? "North Campus" : "Main Campus",
                ["building"] = $"B{rng.Next(1, 6)}",
                ["floor"] = rng.Next(0, 8).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["room"] = $"{department}-{rng.Next(1, 40)}",
            },
            ["status"] = Statuses[rng.Next(Statuses.Length)],
            ["criticality"] = Criticalities[rng.Next(Criticalities.Length)],
            ["install_date"] = install.ToString("yyyy-MM-dd"),
            // Some assets have no warranty on record: null is part of the contract.
            ["warranty_expiry"] = rng.Next(5) == 0 ? null : install.AddYears(5).ToString("yyyy-MM-dd"),
            ["last_modified"] = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero)
                .AddMinutes(rng.Next(0, 40000))
                .ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["pm_schedules"] = schedules,
        };
    }

    /// <summary>A hash that does not change between processes (string.GetHashCode does).</summary>
    public static int StableHash(string value)
    {
        unchecked
        {
            var h = (int)2166136261;
            foreach (var c in value)
            {
                h = (h ^ c) * 16777619;
            }
            return h & 0x7fffffff;
        }
    }
}
