namespace AssetSync;

/// <summary>An attempt failed in a way that can pass, and another will follow after <see cref="Delay"/>.</summary>
public sealed record RetryNotice(
    string SerialNumber,
    int FailedAttempt,
    int MaxAttempts,
    TimeSpan Delay,
    string ErrorKind,
    int? HttpStatus,
    string Reason
)
{
    public override string ToString() =>
        $"Asset '{TextSafety.Inert(SerialNumber, 80)}': attempt {FailedAttempt} of {MaxAttempts} failed "
        + $"({ErrorKind}{(HttpStatus is { } s ? " " + s : "")}: {TextSafety.Inert(Reason)}); retrying in {Delay.TotalSeconds:0.###} s.";
}
