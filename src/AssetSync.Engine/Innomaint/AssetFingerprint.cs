using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AssetSync.Domain;

namespace AssetSync.Innomaint;

/// <summary>
/// The SHA-256 of what AssetSync writes of an asset: the mapped columns of <c>ic3_asset_master</c> and the set of its
/// <c>ic3_asset_pm_schedule</c> rows, in one canonical form. Field order, JSON whitespace and fields the mapping does not
/// read never count, so a body that differs only in a served-at stamp or a request id is the same asset.
/// <para>
/// <c>last_modified</c> is left out on purpose: it says when Innomaint last changed the asset, not what the asset is, and
/// some servers stamp it on every read. The schedules are a set (the table's key is the schedule id), so they are hashed in
/// id order. Each value is length-prefixed and null is told from empty, so no two different assets share a form.
/// </para>
/// </summary>
internal static class AssetFingerprint
{
    /// <summary>Bumped whenever the canonical form changes: a stored fingerprint of another version never matches.</summary>
    private const byte FormVersion = 1;

    public static byte[] Of(AssetDetail asset)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([FormVersion]);
        foreach (
            var value in (ReadOnlySpan<string?>)
                [
                    asset.AssetCode,
                    asset.AssetName,
                    asset.Category,
                    asset.Make,
                    asset.Model,
                    asset.Department,
                    asset.LocationSite,
                    asset.LocationBuilding,
                    asset.LocationFloor,
                    asset.LocationRoom,
                    asset.Status,
                    asset.Criticality,
                    Date(asset.InstallDate),
                    Date(asset.WarrantyExpiry),
                ]
        )
        {
            Append(hash, value);
        }
        Append(hash, asset.PmSchedules.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var schedule in asset.PmSchedules.OrderBy(s => s.ScheduleId, StringComparer.Ordinal))
        {
            Append(hash, schedule.ScheduleId);
            Append(hash, schedule.Task);
            Append(hash, schedule.FrequencyDays?.ToString(CultureInfo.InvariantCulture));
            Append(hash, Date(schedule.NextDue));
        }
        return hash.GetHashAndReset();
    }

    private static string? Date(DateOnly? date) => date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A value as its UTF-8 length (−1 for null) and bytes.</summary>
    private static void Append(IncrementalHash hash, string? value)
    {
        Span<byte> length = stackalloc byte[4];
        var bytes = value is null ? [] : Encoding.UTF8.GetBytes(value);
        BinaryPrimitives.WriteInt32LittleEndian(length, value is null ? -1 : bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
