using System.Net;
using System.Text;

namespace AssetSync.Tests.Fixtures;

/// <summary>An HttpMessageHandler that answers from a function and counts requests (unit tests only).</summary>
public sealed class StubHandler(Func<HttpRequestMessage, int, CancellationToken, Task<HttpResponseMessage>> respond) : HttpMessageHandler
{
    private int _requests;

    public int Requests => Volatile.Read(ref _requests);

    public List<HttpRequestMessage> Seen { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _requests);
        lock (Seen)
        {
            Seen.Add(request);
        }
        return respond(request, n, cancellationToken);
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    public static string Asset(string serial) =>
        $$"""{"serialnumber":"{{serial}}","make":"Baxter","model":"Sigma","pm_schedules":["""
        + """{"schedule_id":"PM-1","task":"Check","frequency_days":180,"next_due":"2027-01-05"}]}""";
}
