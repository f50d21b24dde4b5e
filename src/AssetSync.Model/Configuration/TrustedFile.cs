using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;

namespace AssetSync;

/// <summary>
/// Refuses a file that other users may write when that file decides where the secrets go (the settings file, the CA file,
/// the credential file), as OpenSSH refuses a key file and sudo a sudoers file: whoever may write it may send the token or
/// the database password to a host of their choosing. On Linux and macOS, a file writable by its group or by others, or in
/// a folder they may write without the sticky bit; on Windows, a file that Everyone, Users or Authenticated Users may write.
/// </summary>
public static class TrustedFile
{
    private const UnixFileMode GroupOrOthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>
    /// Throws <see cref="SyncConfigurationException"/> for <paramref name="setting"/>, naming the file and who may write it,
    /// when others than its owner may change <paramref name="path"/>. A missing file is left to the caller to report.
    /// </summary>
    /// <param name="path">The file's full path.</param>
    /// <param name="setting">The setting that named the file (ConfigurationPath, CertificateAuthorityPath, CredentialPath).</param>
    /// <param name="what">What the file is, for the message: "settings file", "CA file", "credential file".</param>
    public static void Check(string path, string setting, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            return;
        }
        var writers = OperatingSystem.IsWindows() ? WindowsWriters(path) : UnixWriters(path);
        if (writers is null)
        {
            return;
        }
        var shown = TextSafety.Inert(path, 200);
        var fix = OperatingSystem.IsWindows()
            ? $"remove their write access (icacls \"{shown}\" /remove:g *S-1-1-0 *S-1-5-32-545 *S-1-5-11, or the file's Security tab)"
            : $"run chmod go-w '{shown}' (and chmod go-w on its folder, or give the folder the sticky bit)";
        throw new SyncConfigurationException(
            $"The {what} '{shown}' ({setting}) may be written by {writers}. It decides where the API token and the database login go, "
                + $"so it must be writable by its owner only: {fix}.",
            setting
        );
    }

    /// <summary>
    /// The job's default log folder: the account's own, never the shared temp folder (where another user could create it
    /// first, read the transcripts and plant links at their predictable names). On Windows
    /// <c>%LOCALAPPDATA%\AssetSync\Logs</c>; elsewhere <c>$XDG_STATE_HOME/AssetSync/logs</c>, by default
    /// <c>~/.local/state/AssetSync/logs</c>.
    /// </summary>
    public static string DefaultLogFolder
    {
        get
        {
            if (OperatingSystem.IsWindows())
            {
                return Path.Combine(
                    Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
                    "AssetSync",
                    "Logs"
                );
            }
            var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
            var root =
                !string.IsNullOrWhiteSpace(state) && Path.IsPathRooted(state)
                    ? state
                    : Path.Combine(
                        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify),
                        ".local",
                        "state"
                    );
            return Path.Combine(root, "AssetSync", "logs");
        }
    }

    /// <summary>
    /// Makes <paramref name="path"/> a folder only its owner can write, and checks that it is: created with owner-only access
    /// on Linux and macOS (mode 0700); an existing one must be this account's (its mode can be set) and writable by nobody else. Throws <see
    /// cref="SyncConfigurationException"/> for <paramref name="setting"/> otherwise.
    /// On Windows the folder inherits its parent's access (a profile folder is the account's own).
    /// </summary>
    /// <returns>The folder's full path.</returns>
    public static string EnsurePrivateFolder(string path, string setting)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var shown = TextSafety.Inert(full, 200);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
            return full;
        }
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var existed = Directory.Exists(full);
        if (!existed)
        {
            Directory.CreateDirectory(full, OwnerOnly);
        }
        var mode = File.GetUnixFileMode(full);
        if ((mode & GroupOrOthersWrite) != 0)
        {
            throw new SyncConfigurationException(
                $"The log folder '{shown}' ({setting}) may be written by {Who(mode)} (mode {Octal(mode)}): they could read the transcripts or "
                    + $"plant links at "
                    + $"the names the job writes. Give the job a folder of its own account (chmod 700 '{shown}'), or leave {setting} out for the "
                    + $"account's own default.",
                setting
            );
        }
        try
        {
            // Only the owner (or root) may set a folder's mode, even to what it is: the owner check, changing nothing. A folder
            // the operator made readable to a group (a monitoring agent's) stays so.
            File.SetUnixFileMode(full, mode);
        }
        catch (UnauthorizedAccessException)
        {
            throw new SyncConfigurationException(
                $"The log folder '{shown}' ({setting}) belongs to another account: whoever owns it can read the transcripts. Give the job a "
                    + $"folder of its own, "
                    + $"or leave {setting} out for the account's own default.",
                setting
            );
        }
        return full;
    }

    /// <summary>Who other than the owner may write the file or replace it, or null when nobody may.</summary>
    [UnsupportedOSPlatform("windows")]
    private static string? UnixWriters(string path)
    {
        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOthersWrite) != 0)
        {
            return $"{Who(mode)} (mode {Octal(mode)})";
        }
        // Whoever may write the folder may replace the file, unless the sticky bit (as on /tmp) keeps each file its owner's.
        if (Path.GetDirectoryName(path) is { Length: > 0 } folder && Directory.Exists(folder))
        {
            var folderMode = File.GetUnixFileMode(folder);
            if ((folderMode & GroupOrOthersWrite) != 0 && (folderMode & UnixFileMode.StickyBit) == 0)
            {
                return $"{Who(folderMode)}, who may replace it in its folder '{TextSafety.Inert(folder, 200)}' (mode {Octal(folderMode)})";
            }
        }
        return null;
    }

    private static string Who(UnixFileMode mode) =>
        (mode & GroupOrOthersWrite) switch
        {
            GroupOrOthersWrite => "its group and every other user",
            UnixFileMode.GroupWrite => "its group",
            _ => "every other user",
        };

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');

    [SupportedOSPlatform("windows")]
    private static string? WindowsWriters(string path)
    {
        const FileSystemRights Writes =
            FileSystemRights.WriteData
            | FileSystemRights.AppendData
            | FileSystemRights.ChangePermissions
            | FileSystemRights.TakeOwnership
            | FileSystemRights.Delete;
        var broad = new Dictionary<SecurityIdentifier, string>
        {
            [new SecurityIdentifier(WellKnownSidType.WorldSid, null)] = "Everyone",
            [new SecurityIdentifier(WellKnownSidType.BuiltinUsersSid, null)] = "Users",
            [new SecurityIdentifier(WellKnownSidType.AuthenticatedUserSid, null)] = "Authenticated Users",
        };
        var rules = new FileInfo(path).GetAccessControl().GetAccessRules(true, true, typeof(SecurityIdentifier));
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (FileSystemAccessRule rule in rules)
        {
            if (
                rule.AccessControlType == AccessControlType.Allow
                && (rule.FileSystemRights & Writes) != 0
                && rule.IdentityReference is SecurityIdentifier sid
                && broad.TryGetValue(sid, out var name)
            )
            {
                found.Add(name);
            }
        }
        return found.Count == 0 ? null : string.Join(", ", found);
    }
}
