using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace AssetSync.Storage;

/// <summary>
/// Typed parameters for the statements, and reading a row's columns by name (never by position: a column added to a
/// query cannot shift the others).
/// </summary>
internal static class DbValues
{
    /// <summary>Names a parameter, for a statement that refers to it as @name: no argument order to keep across files.</summary>
    public static NpgsqlParameter Named(this NpgsqlParameter parameter, string name)
    {
        parameter.ParameterName = name;
        return parameter;
    }

    public static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    public static NpgsqlParameter Int(int? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };

    public static NpgsqlParameter Long(long value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Bigint };

    public static NpgsqlParameter Double(double? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double };

    public static NpgsqlParameter Bool(bool? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean };

    public static NpgsqlParameter Interval(TimeSpan value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Interval };

    public static NpgsqlParameter Timestamp(DateTimeOffset? value) =>
        new() { Value = (object?)value?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    public static NpgsqlParameter Array<T>(T[] values, NpgsqlDbType elementType) =>
        new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };

    /// <summary>Milliseconds as the integer columns hold them (saturating: a duration never overflows a row).</summary>
    public static int Milliseconds(long ms) => (int)Math.Clamp(ms, 0, int.MaxValue);

    public static string? Text(this NpgsqlDataReader r, string column) => r.GetOrdinal(column) is var i && r.IsDBNull(i) ? null : r.GetString(i);

    public static int? Int(this NpgsqlDataReader r, string column) =>
        r.GetOrdinal(column) is var i && r.IsDBNull(i) ? null : Convert.ToInt32(r.GetValue(i), CultureInfo.InvariantCulture);

    public static long? Long(this NpgsqlDataReader r, string column) =>
        r.GetOrdinal(column) is var i && r.IsDBNull(i) ? null : Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);

    public static double? Double(this NpgsqlDataReader r, string column) => r.GetOrdinal(column) is var i && r.IsDBNull(i) ? null : r.GetDouble(i);

    public static bool Bool(this NpgsqlDataReader r, string column) => r.GetBoolean(r.GetOrdinal(column));

    public static byte[]? Bytes(this NpgsqlDataReader r, string column) =>
        r.GetOrdinal(column) is var i && r.IsDBNull(i) ? null : r.GetFieldValue<byte[]>(i);

    public static TimeSpan? Interval(this NpgsqlDataReader r, string column) =>
        r.GetOrdinal(column) is var i && r.IsDBNull(i) ? null : r.GetFieldValue<TimeSpan>(i);

    /// <summary>A timestamptz column, in UTC.</summary>
    public static DateTimeOffset? Timestamp(this NpgsqlDataReader r, string column) =>
        r.GetOrdinal(column) is var i && r.IsDBNull(i) ? null : Utc(r.GetFieldValue<DateTime>(i));

    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
