namespace AssetSync.Domain;

/// <summary>One preventive-maintenance plan of an asset.</summary>
internal sealed record PmSchedule(string ScheduleId, string? Task, int? FrequencyDays, DateOnly? NextDue);
