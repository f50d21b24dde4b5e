using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// Loads AssetSync.Engine and its packages (Npgsql, Polly, Microsoft.Extensions.*) from
/// module/bin/engine into a load context of their own. PowerShell and other modules may already
/// hold different versions of those assemblies in the default context; ours never meet them.
/// Only the engine's own types cross over, and they use nothing but the BCL.
/// </summary>
internal sealed class EngineLoadContext : AssemblyLoadContext
{
    private const string EngineAssemblyName = "AssetSync.Engine";

    /// <summary>The types users see; shared by both contexts, loaded in the default one.</summary>
    private const string ModelAssemblyName = "AssetSync.Model";

    private static readonly string ModuleDirectory = Path.GetDirectoryName(typeof(EngineLoadContext).Assembly.Location)!;
    private static readonly string EngineDirectory = Path.Combine(ModuleDirectory, "engine");

    private static EngineLoadContext? s_instance;
    private static readonly object s_gate = new();

    private EngineLoadContext()
        : base("AssetSync.Engine", isCollectible: false) { }

    private static readonly string FrameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;

    /// <summary>
    /// Assemblies shipped in the engine folder load here, except those the running .NET itself
    /// provides (System.Diagnostics.DiagnosticSource, say): a second copy of a framework assembly
    /// makes its types differ from the ones System.Net.Http uses ("Method not found: MeterFactory").
    /// Everything else falls back to the default context.
    /// </summary>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var file = assemblyName.Name + ".dll";
        if (string.Equals(assemblyName.Name, ModelAssemblyName, StringComparison.Ordinal))
        {
            return Default.LoadFromAssemblyName(assemblyName);
        }
        if (File.Exists(Path.Combine(FrameworkDirectory, file)))
        {
            return Default.LoadFromAssemblyPath(Path.Combine(FrameworkDirectory, file));
        }
        var path = Path.Combine(EngineDirectory, file);
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = Path.Combine(EngineDirectory, unmanagedDllName);
        return File.Exists(path) ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }

    internal static Assembly LoadModel() => Default.LoadFromAssemblyPath(Path.Combine(ModuleDirectory, ModelAssemblyName + ".dll"));

    /// <summary>
    /// The default context does not probe the module folder: hand it AssetSync.Model from beside us,
    /// and AssetSync.Engine from our own context.
    /// </summary>
    internal static Assembly? ResolveFromDefault(AssemblyLoadContext context, AssemblyName name)
    {
        if (string.Equals(name.Name, ModelAssemblyName, StringComparison.Ordinal))
        {
            return LoadModel();
        }
        if (!string.Equals(name.Name, EngineAssemblyName, StringComparison.Ordinal))
        {
            return null;
        }
        lock (s_gate)
        {
            s_instance ??= new EngineLoadContext();
        }
        return s_instance.LoadFromAssemblyName(name);
    }
}

/// <summary>Hooks the resolver when the module is imported, and unhooks it on Remove-Module.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <inheritdoc/>
    public void OnImport()
    {
        AssemblyLoadContext.Default.Resolving += EngineLoadContext.ResolveFromDefault;
        // Load the user-facing types now, so [AssetSync.AssetSyncResult] resolves from the first line of a script.
        EngineLoadContext.LoadModel();
    }

    /// <inheritdoc/>
    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= EngineLoadContext.ResolveFromDefault;
}
