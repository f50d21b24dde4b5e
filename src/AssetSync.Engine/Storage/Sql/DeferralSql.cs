namespace AssetSync.Storage;

/// <summary>
/// The deferral rule in SQL, written once: a failure of a deferring kind (<see cref="SyncErrorKinds.Deferring"/>) waits
/// 2^n days, at most <see cref="DeferralSchedule.MaxDays"/>, n being the failures in a row before it. The kinds and the
/// cap come from C#: as parameters in the statements a run executes, as our own literals in the schema upgrade.
/// </summary>
internal static class DeferralSql
{
    /// <summary>The expression for next_attempt_at: NULL unless <paramref name="kind"/> defers.</summary>
    /// <param name="kind">SQL of the failure's error_kind (text).</param>
    /// <param name="priorFailures">SQL of the failures in a row before this one (0 for the first).</param>
    /// <param name="from">SQL of the time the failure happened.</param>
    /// <param name="kinds">SQL of the deferring kinds (text[]): a parameter, or <see cref="KindsLiteral"/>.</param>
    /// <param name="maxDays">SQL of the cap in days (integer): a parameter, or <see cref="MaxDaysLiteral"/>.</param>
    public static string NextAttempt(string kind, string priorFailures, string from, string kinds, string maxDays) =>
        $"CASE WHEN {kind} = ANY({kinds}) THEN {from} + make_interval(days => LEAST({maxDays}, power(2, LEAST({priorFailures}, 30)))::int) END";

    /// <summary>The deferring kinds as an SQL literal (contract names: our own constants).</summary>
    public static string KindsLiteral { get; } =
        "ARRAY[" + string.Join(", ", SyncErrorKinds.Deferring.Select(k => $"'{k.ToContractName()}'")) + "]::text[]";

    /// <summary>The cap as an SQL literal.</summary>
    public static string MaxDaysLiteral { get; } = DeferralSchedule.MaxDays.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The deferring kinds as a parameter value.</summary>
    public static string[] Kinds { get; } = [.. SyncErrorKinds.Deferring.Select(k => k.ToContractName())];
}
