namespace AssetSync.Domain;

/// <summary>One asset as Innomaint describes it, mapped from the 200 response.</summary>
internal sealed record AssetDetail
{
    public required string SerialNumber { get; init; }
    public string? AssetCode { get; init; }
    public string? AssetName { get; init; }
    public string? Category { get; init; }
    public string? Make { get; init; }
    public string? Model { get; init; }
    public string? Department { get; init; }
    public string? LocationSite { get; init; }
    public string? LocationBuilding { get; init; }
    public string? LocationFloor { get; init; }
    public string? LocationRoom { get; init; }
    public string? Status { get; init; }
    public string? Criticality { get; init; }
    public DateOnly? InstallDate { get; init; }
    public DateOnly? WarrantyExpiry { get; init; }
    public DateTimeOffset? LastModified { get; init; }
    public IReadOnlyList<PmSchedule> PmSchedules { get; init; } = [];

    /// <summary>The whole body as received (valid UTF-8 JSON), stored in cmms_payload.</summary>
    public required string RawPayload { get; init; }
}
