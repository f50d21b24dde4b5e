using AssetSync.Resilience;

namespace AssetSync.Tests.Resilience;

/// <summary>The asset-path probation on its own: 404s held until the threshold decides, released once, off at 0.</summary>
public sealed class PathProbationTests
{
    [Fact]
    public void Holds_404s_until_the_threshold_which_alone_is_suspect_then_releases_them_once()
    {
        var probation = new PathProbation<int>(3);
        Assert.Equal(PathProbation<int>.Verdict.Held, probation.Offer(1));
        Assert.Equal(PathProbation<int>.Verdict.Held, probation.Offer(2));
        Assert.Equal(PathProbation<int>.Verdict.Suspect, probation.Offer(3));
        Assert.Equal(PathProbation<int>.Verdict.Held, probation.Offer(4));

        Assert.Equal([1, 2, 3, 4], probation.End());
        Assert.Empty(probation.End());
        Assert.Equal(PathProbation<int>.Verdict.Write, probation.Offer(5));
    }

    [Fact]
    public void At_zero_it_is_off_and_every_404_is_written()
    {
        var probation = new PathProbation<int>(0);
        Assert.Equal(PathProbation<int>.Verdict.Write, probation.Offer(1));
        Assert.Empty(probation.End());
    }
}
