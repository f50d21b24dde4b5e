// The fetch-only client of the footprint benchmark (M, N) and Measure-ClientCpu.ps1: .NET's HttpClient fetching every
// asset's body and nothing else, the physical limit of a client here. Benchmark code, not the module's.
using System;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

public static class FetchOnly
{
    // perSecond > 0 paces the requests (request i is sent no sooner than i / perSecond after the start), as a client that
    // keeps to a rate must; 0 sends each as soon as a connection is free.
    public static double Run(string baseUrl, int count, int parallel, double perSecond)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = parallel, AutomaticDecompression = System.Net.DecompressionMethods.All };
        using var http = new HttpClient(handler);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "bench-token");
        var next = 0;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Task.WaitAll(
            Enumerable
                .Range(0, parallel)
                .Select(_ =>
                    Task.Run(async () =>
                    {
                        int i;
                        while ((i = Interlocked.Increment(ref next)) <= count)
                        {
                            if (perSecond > 0)
                            {
                                var due = TimeSpan.FromSeconds((i - 1) / perSecond) - sw.Elapsed;
                                if (due > TimeSpan.Zero)
                                {
                                    await Task.Delay(due);
                                }
                            }
                            var body = await http.GetByteArrayAsync(baseUrl + "/api/v1/assets/INF-" + i.ToString("0000000"));
                        }
                    })
                )
                .ToArray()
        );
        return count / sw.Elapsed.TotalSeconds;
    }
}
