using System.Reflection;
using System.Text.RegularExpressions;

namespace AssetSync.Storage;

/// <summary>The numbered SQL files under Storage/Schema, embedded in the assembly, in order.</summary>
internal static partial class SchemaCatalog
{
    private static readonly Lazy<IReadOnlyList<SchemaMigration>> All = new(Load);

    public static IReadOnlyList<SchemaMigration> Migrations => All.Value;

    public static int LatestVersion => Migrations[^1].Version;

    private static IReadOnlyList<SchemaMigration> Load()
    {
        var assembly = typeof(SchemaCatalog).Assembly;
        var list = new List<SchemaMigration>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var match = ResourceName().Match(name);
            if (!match.Success)
            {
                continue;
            }
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var sql = reader.ReadToEnd();
            var firstLine = sql.AsSpan(0, Math.Max(0, sql.IndexOf('\n'))).Trim().TrimStart('-').Trim().ToString();
            list.Add(new SchemaMigration(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), firstLine, sql));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        return list;
    }

    [GeneratedRegex(@"^AssetSync\.Schema\.(\d{3})_[a-z0-9_]+\.sql$")]
    private static partial Regex ResourceName();
}
