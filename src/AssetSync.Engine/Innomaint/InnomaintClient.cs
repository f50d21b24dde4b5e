using System.Buffers;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using AssetSync.Domain;

namespace AssetSync.Innomaint;

/// <summary>
/// One GET per call against the Innomaint asset API. It never retries and never throws for an
/// HTTP or network failure: every such case becomes a typed <see cref="FetchOutcome"/>.
/// Only cancellation (and the attempt timeout the caller wraps it in) escapes as an exception.
/// </summary>
internal sealed class InnomaintClient
{
    private readonly HttpClient _http;
    private readonly string _baseUrl;
    private readonly AssetPathTemplate _path;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly long _maxBodyBytes;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxReset;

    /// <summary>A client for one base URL and asset path; <paramref name="maxReset"/> caps a window reset a rate-limit header asks for (60 s when
    /// null).</summary>
    public InnomaintClient(
        HttpClient http,
        Uri baseUrl,
        AssetPathTemplate path,
        string apiToken,
        long maxBodyBytes,
        TimeProvider time,
        InnomaintRoute? route = null,
        TimeSpan? maxReset = null
    )
    {
        _maxReset = maxReset ?? TimeSpan.FromSeconds(SyncDefaults.MaxRetryAfterSeconds);
        Route = route ?? InnomaintRoute.Direct(baseUrl);
        _time = time;
        _http = http;
        _baseUrl = baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _path = path;
        _authorization = new AuthenticationHeaderValue("Bearer", apiToken);
        _maxBodyBytes = maxBodyBytes;
    }

    /// <summary>How requests reach Innomaint (direct or which proxy; the certificate check), and its faults.</summary>
    public InnomaintRoute Route { get; }

    /// <summary>The base URL as requests use it (no trailing slash): the key of the learned rate in cmms_rate_state.</summary>
    public string BaseUrl => _baseUrl;

    public static string UserAgent { get; } = "AssetSync/" + typeof(InnomaintClient).Assembly.GetName().Version?.ToString(3);

    // Parsed once: parsing header text on every request showed in the client's CPU profile (docs/performance.md).
    private static readonly ProductInfoHeaderValue UserAgentValue = ProductInfoHeaderValue.Parse(UserAgent);
    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");

    public Uri BuildUri(string serialNumber)
    {
        var path = _path.Expand(serialNumber);
        // No canonicalisation: Uri would otherwise turn %2E%2E back into ".." and drop the segment.
        return new Uri(
            _baseUrl + (path.StartsWith('/') ? path : "/" + path),
            new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }
        );
    }

    /// <summary>
    /// One request. With <paramref name="known"/> validators it is conditional: a 304, or a 200 whose body hashes to the
    /// stored SHA-256, comes back as unchanged, and the body is then not even parsed.
    /// </summary>
    public async Task<FetchOutcome> FetchOnceAsync(string serialNumber, SelectedAsset? known, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, BuildUri(serialNumber));
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.Add(AcceptJson);
        request.Headers.UserAgent.Add(UserAgentValue);
        // Sent back as the server gave them (untrusted text, so only if they are valid header values).
        if (known?.ETag is { } knownETag)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", knownETag);
        }
        if (known?.LastModified is { } knownLastModified)
        {
            request.Headers.TryAddWithoutValidation("If-Modified-Since", knownLastModified);
        }

        HttpResponseMessage response;
        var ticket = Route.Trust.BeginRequest();
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (Route.FaultOf(ex, ticket) is { } fault)
            {
                // The proxy or the certificate check refused: nothing of this asset was asked.
                return FetchOutcome.RouteFault(fault);
            }
            // Only the caller's cancellation (or the attempt timeout around us) escapes; anything else is this asset's failure.
            var (kind, text) = Classify(ex);
            return kind == SyncErrorKind.Network && IsConnectionFailure(ex) ? FetchOutcome.NoConnection(text) : FetchOutcome.Failure(kind, text);
        }

        using (response)
        {
            if (Route.FaultOf(response) is { } refused)
            {
                return FetchOutcome.RouteFault(refused);
            }
            var outcome = await InterpretAsync(response, serialNumber, known, cancellationToken).ConfigureAwait(false);
            return outcome with { RateLimit = RateLimitHeaders.Read(response.Headers, _time.GetUtcNow(), _maxReset) };
        }
    }

    /// <summary>What one answer means for the asset: unchanged, an asset, or a typed failure.</summary>
    private async Task<FetchOutcome> InterpretAsync(
        HttpResponseMessage response,
        string serialNumber,
        SelectedAsset? known,
        CancellationToken cancellationToken
    )
    {
        var status = (int)response.StatusCode;
        if (status == 304 && known?.HasValidators == true)
        {
            // Not modified: keep what we stored, with any validator the 304 renews.
            return FetchOutcome.Same(
                status,
                known.Validators with
                {
                    ETag = Validator(response, "ETag") ?? known.ETag,
                    LastModified = Validator(response, "Last-Modified") ?? known.LastModified,
                }
            );
        }
        if (status is >= 300 and < 400)
        {
            // Redirects are never followed: the token must not travel to a host we were not told about.
            return FetchOutcome.Failure(
                SyncErrorKind.ClientError,
                $"Innomaint answered {status} (a redirect). Redirects are not followed, so the token is never sent elsewhere; check -BaseUrl.",
                status
            );
        }
        if (status is < 200 or >= 300)
        {
            var kind = SyncErrorKinds.FromStatusCode(status);
            return FetchOutcome.Failure(kind, DescribeStatus(status, response.ReasonPhrase, kind), status, ReadRetryAfter(response));
        }

        byte[]? rented = null;
        try
        {
            var declared = response.Content.Headers.ContentLength;
            if (declared > _maxBodyBytes)
            {
                return TooLarge(status);
            }
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            rented = ArrayPool<byte>.Shared.Rent((int)Math.Min(declared ?? 16 * 1024, _maxBodyBytes) + 1);
            var length = 0;
            while (true)
            {
                if (length == Math.Min(rented.Length, _maxBodyBytes + 1))
                {
                    if (length > _maxBodyBytes)
                    {
                        return TooLarge(status);
                    }
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)rented.Length * 2, _maxBodyBytes + 1));
                    rented.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(rented);
                    rented = bigger;
                }
                // The pool may hand out a larger array than asked for: never read past limit + 1.
                var room = (int)Math.Min(rented.Length, _maxBodyBytes + 1) - length;
                var read = await stream.ReadAsync(rented.AsMemory(length, room), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > _maxBodyBytes)
                {
                    // Stop reading at the limit: a 100 MB body is never held in memory.
                    return TooLarge(status);
                }
            }

            var body = rented.AsMemory(0, length);
            var sha = SHA256.HashData(body.Span);
            var (etag, lastModified) = (Validator(response, "ETag"), Validator(response, "Last-Modified"));
            if (known?.PayloadSha256 is { } stored && stored.AsSpan().SequenceEqual(sha))
            {
                // Byte for byte what we stored: unchanged, without a 304 and without parsing.
                return FetchOutcome.Same(status, known.Validators with { ETag = etag, LastModified = lastModified });
            }
            var asset = AssetDetailParser.TryParse(body, serialNumber, out var error);
            if (asset is null)
            {
                return FetchOutcome.Failure(SyncErrorKind.InvalidResponse, error!, status);
            }
            var content = AssetFingerprint.Of(asset);
            if (known?.ContentSha256 is { } written && written.AsSpan().SequenceEqual(content))
            {
                // Another body, the same asset (a served-at stamp, a request id, another field order): unchanged, and the
                // stored body and its hash stay what cmms_payload holds.
                return FetchOutcome.Same(status, known.Validators with { ETag = etag, LastModified = lastModified }, bodyDifferedOnly: true) with
                {
                    ChangeTime = ChangeTime.Read(asset.LastModified, response.Headers.Date, _time.GetUtcNow()),
                };
            }
            return FetchOutcome.Success(
                asset,
                status,
                new FetchValidators(etag, lastModified, sha, content),
                ChangeTime.Read(asset.LastModified, response.Headers.Date, _time.GetUtcNow())
            );
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever breaks while one body is read (a corrupt gzip stream, a connection cut, a
            // handler's own exception) fails this asset only, never the run.
            var (kind, text) = Classify(ex, readingBody: true);
            return FetchOutcome.Failure(kind, "Reading the response failed: " + text, status);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>A validator header as sent, if it is one we can send back: short, and nothing but visible ASCII and spaces.</summary>
    private static string? Validator(HttpResponseMessage response, string name)
    {
        if (!response.Headers.TryGetValues(name, out var values) && !response.Content.Headers.TryGetValues(name, out values))
        {
            return null;
        }
        var value = values.FirstOrDefault()?.Trim();
        return string.IsNullOrEmpty(value) || value.Length > 256 || value.Any(c => c is < ' ' or > '~') ? null : value;
    }

    private FetchOutcome TooLarge(int status) =>
        FetchOutcome.Failure(SyncErrorKind.InvalidResponse, $"The response body is larger than the limit of {_maxBodyBytes:N0} bytes.", status);

    /// <summary>
    /// The contract kind of an exception thrown while one asset was fetched (the caller's cancellation
    /// excluded). A body that cannot be decoded is an invalid response; a cancellation or timeout that
    /// is not the caller's (a connect timeout) is a timeout; anything unknown counts as a network failure.
    /// </summary>
    /// <remarks>
    /// While the body is read (<paramref name="readingBody"/>), an unknown exception is not a broken connection
    /// but a body that cannot be decoded (brotli's decoder throws InvalidOperationException on bad data).
    /// </remarks>
    internal static (SyncErrorKind Kind, string Message) Classify(Exception ex, bool readingBody = false) =>
        ex switch
        {
            InvalidDataException or System.Text.DecoderFallbackException => Undecodable(ex),
            HttpRequestException { InnerException: InvalidDataException inner } => Undecodable(inner),
            TimeoutException or OperationCanceledException => (
                SyncErrorKind.Timeout,
                "Innomaint did not answer in time: " + ex.GetBaseException().Message
            ),
            HttpRequestException or IOException or SocketException or AuthenticationException => (SyncErrorKind.Network, DescribeNetworkFailure(ex)),
            _ when readingBody => Undecodable(ex),
            _ => (SyncErrorKind.Network, $"Unexpected failure talking to Innomaint ({ex.GetType().Name}: {ex.Message})"),
        };

    /// <summary>True when no connection was made at all: refused, a name that does not resolve, a TLS handshake that failed.</summary>
    internal static bool IsConnectionFailure(Exception ex) =>
        ex switch
        {
            HttpRequestException
            {
                HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError
            } => true,
            HttpRequestException
            {
                InnerException: SocketException
                {
                    SocketErrorCode: SocketError.ConnectionRefused
                        or SocketError.HostNotFound
                        or SocketError.HostUnreachable
                        or SocketError.NetworkUnreachable
                        or SocketError.TryAgain
                }
            } => true,
            HttpRequestException { InnerException: AuthenticationException } => true,
            SocketException
            {
                SocketErrorCode: SocketError.ConnectionRefused
                    or SocketError.HostNotFound
                    or SocketError.HostUnreachable
                    or SocketError.NetworkUnreachable
            } => true,
            AuthenticationException => true,
            _ => false,
        };

    private static (SyncErrorKind Kind, string Message) Undecodable(Exception ex) =>
        (SyncErrorKind.InvalidResponse, $"the response body could not be decoded ({ex.GetType().Name}: {ex.Message})");

    private static string DescribeNetworkFailure(Exception ex)
    {
        // Exception texts here name host and port at most; they never carry request headers.
        // The innermost one says what actually happened (reset, refused, name not known).
        var root = ex.GetBaseException();
        var detail = ReferenceEquals(root, ex) ? ex.Message : $"{ex.Message} {root.Message}";
        if (ex is HttpRequestException { HttpRequestError: var error and not HttpRequestError.Unknown })
        {
            detail = $"{error}: {detail}";
        }
        return "Network failure talking to Innomaint (" + detail.Trim() + ")";
    }

    private static string DescribeStatus(int status, string? reason, SyncErrorKind kind)
    {
        var text = $"Innomaint answered {status}{(string.IsNullOrWhiteSpace(reason) ? "" : " " + TextSafety.Inert(reason, 200))}";
        return kind switch
        {
            SyncErrorKind.NotFound => text + ": the asset does not exist in Innomaint.",
            SyncErrorKind.Credentials => text + ": the API token was refused.",
            _ => text + ".",
        };
    }

    private TimeSpan? ReadRetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header is null)
        {
            return null;
        }
        if (header.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        if (header.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }
}
