namespace AssetSync;

/// <summary>"Did you mean …?": the known name nearest to a mistyped one, by edit distance, ignoring case.</summary>
public static class NearestName
{
    /// <summary>The candidate nearest to <paramref name="typed"/> within <paramref name="maxEdits"/> edits (at least 2, or a third of its length),
    /// or null.</summary>
    public static string? Find(string typed, IEnumerable<string> candidates, int? maxEdits = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var key = (typed ?? "").Trim();
        var limit = maxEdits ?? Math.Max(2, key.Length / 3);
        var best = candidates.Select(c => (Name: c, Distance: Distance(key, c))).OrderBy(x => x.Distance).FirstOrDefault();
        return best.Name is not null && best.Distance <= limit ? best.Name : null;
    }

    /// <summary>Levenshtein distance, ignoring case.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            d[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = d[0];
            d[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = d[j];
                d[j] = Math.Min(
                    Math.Min(d[j] + 1, d[j - 1] + 1),
                    previous + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1)
                );
                previous = current;
            }
        }
        return d[b.Length];
    }
}
