namespace AssetSync;

/// <summary>
/// One setting, declared once: its name (the parameter's and the settings file's key), its built-in default, the environment
/// variable that may hold it, whether it is a secret, and what it does. <see cref="SyncSettings"/> lists them all.
/// </summary>
public sealed record SettingDefinition
{
    internal SettingDefinition(string name, SettingScope scope, object? defaultValue, string description)
    {
        Name = name;
        Scope = scope;
        Default = defaultValue;
        Description = description;
    }

    /// <summary>The parameter name, and the key in the settings file.</summary>
    public string Name { get; }

    /// <summary>Which commands read it.</summary>
    public SettingScope Scope { get; }

    /// <summary>The built-in default (null: none).</summary>
    public object? Default { get; }

    /// <summary>One line of help.</summary>
    public string Description { get; }

    /// <summary>The environment variable that gives it when no parameter does; null when none.</summary>
    public string? EnvironmentVariable { get; init; }

    /// <summary>
    /// Another parameter that stands in for this setting (-Credential for the API token): when it is given, this setting's
    /// environment variable is not read.
    /// </summary>
    public string? ReplacedBy { get; init; }

    /// <summary>
    /// A secret (the API token, a credential): refused in the settings file, its value never repeated, shown masked by
    /// Get-CmmsSyncConfiguration.
    /// </summary>
    public bool IsSecret { get; init; }

    /// <summary>The type a value must have (a string, a number, a switch, a duration …): a settings file's value is converted to it or
    /// refused.</summary>
    public Type ValueType { get; init; } = typeof(string);

    /// <summary>The smallest value allowed, for a number; null: no lower bound beyond the type's.</summary>
    public double? Minimum { get; init; }

    /// <summary>The largest value allowed, for a number; null: no upper bound beyond the type's.</summary>
    public double? Maximum { get; init; }

    /// <summary>A path: relative, it is taken from the folder of the settings file that gives it (or the current folder for a parameter).</summary>
    public bool IsPath { get; init; }

    /// <summary>
    /// A file that decides where the secrets go (the CA file, the credential file): refused when other users may write it
    /// (see <see cref="TrustedFile"/>).
    /// </summary>
    public bool IsTrustedFile { get; init; }

    /// <summary>
    /// False for a setting that lowers the guard on the secrets (SkipCertificateCheck, AllowUnencryptedAuthentication): it is
    /// taken from a parameter only, never from a file another hand may have edited.
    /// </summary>
    public bool AllowedInFile { get; init; } = true;

    /// <summary>The range as help and messages say it ("1 to 10000", "0 or more"); null without a bound.</summary>
    public string? RangeText =>
        (Minimum, Maximum) switch
        {
            ({ } min, { } max) => $"{Number(min)} to {Number(max)}",
            ({ } min, null) => $"{Number(min)} or more",
            (null, { } max) => $"at most {Number(max)}",
            _ => null,
        };

    /// <summary>
    /// Why <paramref name="value"/> (already of <see cref="ValueType"/>) is outside the declared range, or null when it is
    /// inside. Messages never repeat a secret's value.
    /// </summary>
    public string? CheckRange(object? value)
    {
        if (value is null || (Minimum is null && Maximum is null))
        {
            return null;
        }
        double number;
        try
        {
            number = value is TimeSpan span ? span.TotalSeconds : Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException)
        {
            return null;
        }
        if (double.IsNaN(number) || number < Minimum || number > Maximum)
        {
            return $"{Name} must be {RangeText}{(ValueType == typeof(TimeSpan) ? " seconds" : "")}";
        }
        return null;
    }

    private static string Number(double value) => value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
