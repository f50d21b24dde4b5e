using System.Management.Automation;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// Checks a parameter against its setting's one declaration in <see cref="SyncSettings"/> (its range), so the range lives
/// in one place: the parameter, the settings file, the scheduled job and the engine's options all ask the declaration.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateSettingAttribute : ValidateArgumentsAttribute
{
    /// <param name="name">The setting's name in <see cref="SyncSettings"/>.</param>
    public ValidateSettingAttribute(string name)
    {
        Definition = SyncSettings.Find(name) ?? throw new ArgumentException($"No setting is declared as '{name}'.", nameof(name));
    }

    /// <summary>The declaration the parameter is checked against.</summary>
    public SettingDefinition Definition { get; }

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject p ? p.BaseObject : arguments;
        if (Definition.CheckRange(value) is { } why)
        {
            throw new ValidationMetadataException(
                $"{why}; it was {TextSafety.Inert(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), 40)}."
            );
        }
    }
}
