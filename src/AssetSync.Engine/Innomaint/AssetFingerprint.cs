using System.Buffers;
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

    // The form is built in one buffer per thread and hashed in one call: a hash object per asset and two native calls per
    // value cost more than the hashing itself (about 3% of a first sync's CPU). Of is synchronous, so the buffer never
    // crosses threads.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_form;

    public static byte[] Of(AssetDetail asset)
    {
        var form = t_form ??= new ArrayBufferWriter<byte>(1024);
        form.ResetWrittenCount();
        form.Write([FormVersion]);
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
                ]
        )
        {
            Append(form, value);
        }
        Append(form, asset.InstallDate);
        Append(form, asset.WarrantyExpiry);
        Append(form, asset.PmSchedules.Count);
        foreach (var schedule in asset.PmSchedules.OrderBy(s => s.ScheduleId, StringComparer.Ordinal))
        {
            Append(form, schedule.ScheduleId);
            Append(form, schedule.Task);
            Append(form, schedule.FrequencyDays);
            Append(form, schedule.NextDue);
        }
        var fingerprint = SHA256.HashData(form.WrittenSpan);
        if (form.Capacity > 64 * 1024)
        {
            // A huge asset's buffer is not kept for the rest of the run.
            t_form = null;
        }
        return fingerprint;
    }

    /// <summary>A value as its UTF-8 length (−1 for null) and bytes.</summary>
    private static void Append(ArrayBufferWriter<byte> form, string? value)
    {
        if (value is null)
        {
            Length(form, -1);
            return;
        }
        var count = Encoding.UTF8.GetByteCount(value);
        var span = form.GetSpan(4 + count);
        BinaryPrimitives.WriteInt32LittleEndian(span, count);
        Encoding.UTF8.GetBytes(value, span[4..]);
        form.Advance(4 + count);
    }

    /// <summary>A date as yyyy-MM-dd, the same bytes as its string would give.</summary>
    private static void Append(ArrayBufferWriter<byte> form, DateOnly? date) => Append(form, date, "yyyy-MM-dd");

    /// <summary>A number in invariant digits, the same bytes as its string would give.</summary>
    private static void Append(ArrayBufferWriter<byte> form, int? number) => Append(form, number, null);

    private static void Append<T>(ArrayBufferWriter<byte> form, T? value, string? format)
        where T : struct, IUtf8SpanFormattable
    {
        if (value is not { } v)
        {
            Length(form, -1);
            return;
        }
        var span = form.GetSpan(4 + 32);
        if (!v.TryFormat(span[4..], out var written, format, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("A date or number did not fit its 32 bytes.");
        }
        BinaryPrimitives.WriteInt32LittleEndian(span, written);
        form.Advance(4 + written);
    }

    private static void Length(ArrayBufferWriter<byte> form, int length)
    {
        BinaryPrimitives.WriteInt32LittleEndian(form.GetSpan(4), length);
        form.Advance(4);
    }
}
