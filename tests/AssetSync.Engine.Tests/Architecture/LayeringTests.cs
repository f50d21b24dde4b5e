using System.Text.RegularExpressions;

namespace AssetSync.Tests.Architecture;

/// <summary>
/// The engine's folders in dependency order, checked in the source: each folder's namespace names it, and no folder uses
/// one above it (by a using directive, a static using, or a partly qualified name). The root namespace (SyncEngine,
/// SyncDatabase: the engine's face) sits on top; the folders below take its option types (SyncOptions, DatabaseSettings)
/// as their input, never the façade itself. DEVELOPERS.md draws the same order.
/// </summary>
public sealed partial class LayeringTests
{
    /// <summary>Bottom first. A folder may use the ones before it.</summary>
    internal static readonly string[] Order = ["Domain", "Freshness", "Diagnostics", "Innomaint", "Resilience", "Storage", "Reporting", "Run"];

    private static readonly string[] Facade = ["SyncEngine", "SyncDatabase"];

    private static string EngineFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var engine = Path.Combine(dir.FullName, "src", "AssetSync.Engine");
            if (Directory.Exists(engine))
            {
                return engine;
            }
        }
        throw new InvalidOperationException("src/AssetSync.Engine not found above the test's folder.");
    }

    /// <summary>Each source file of the engine's folders, with its folder, skipping build output.</summary>
    private static IEnumerable<(string Folder, string Path, string[] Code)> Sources()
    {
        var root = EngineFolder();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (
                relative.StartsWith("bin/", StringComparison.Ordinal)
                || relative.StartsWith("obj/", StringComparison.Ordinal)
                || !relative.Contains('/')
            )
            {
                continue;
            }
            // Comments (and doc references in them) are not uses.
            var code = File.ReadAllLines(file).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)).ToArray();
            yield return (relative.Split('/')[0], relative, code);
        }
    }

    [GeneratedRegex(@"^namespace AssetSync\.([A-Za-z]+)(\.[A-Za-z.]+)?;")]
    private static partial Regex NamespaceLine();

    [Fact]
    public void Every_folder_is_in_the_order_and_its_namespace_names_it()
    {
        var sources = Sources().ToList();
        Assert.NotEmpty(sources);
        foreach (var (folder, path, code) in sources)
        {
            Assert.Contains(folder, Order);
            var declared = code.Select(l => NamespaceLine().Match(l)).FirstOrDefault(m => m.Success);
            Assert.True(declared is not null, $"{path} declares no AssetSync.{folder} namespace");
            Assert.Equal(folder, declared!.Groups[1].Value);
        }
    }

    [Fact]
    public void No_folder_uses_one_above_it_or_the_engine_s_face()
    {
        var violations = new List<string>();
        foreach (var (folder, path, code) in Sources())
        {
            var rank = Array.IndexOf(Order, folder);
            foreach (var line in code)
            {
                foreach (var other in Order.Where((_, i) => i > rank))
                {
                    // using AssetSync.X; using static AssetSync.X.Y; or X.Type (AssetSync.X is in scope from any child namespace).
                    if (Regex.IsMatch(line, $@"\bAssetSync\.{other}\b") || Regex.IsMatch(line, $@"(?<![\w.""]){other}\.[A-Z]"))
                    {
                        violations.Add($"{path}: {folder} uses {other}: {line.Trim()}");
                    }
                }
                foreach (var face in Facade)
                {
                    if (Regex.IsMatch(line, $@"\b{face}\b"))
                    {
                        violations.Add($"{path}: {folder} uses the engine's face {face}: {line.Trim()}");
                    }
                }
            }
        }
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void The_check_finds_a_use_of_a_folder_above()
    {
        // The same patterns against lines that break the order: the test above can fail.
        Assert.Matches($@"\bAssetSync\.{"Storage"}\b", "using AssetSync.Storage;");
        Assert.Matches($@"(?<![\w.""]){"Resilience"}\.[A-Z]", "MaxConnectionsPerServer = Resilience.ResilientFetcher.ConnectionLimit(o),");
        Assert.DoesNotMatch($@"(?<![\w.""]){"Run"}\.[A-Z]", "await Task.Run(() => 1);");
    }
}
