using System.Net.Mime;
using Microsoft.AspNetCore.Http;

namespace Flame.Server;

/// <summary>
/// What keeps a web page the user happens to open from driving the local server: a request must
/// name an allowed host in its Host header (localhost, 127.0.0.1, [::1] and --allowed-host; a
/// DNS-rebinding page names its own), and a POST must carry application/json (a plain HTML form or
/// a no-preflight fetch cannot send that). No CORS headers are ever sent, so browsers keep other
/// origins from reading the answers.
/// </summary>
internal static class RequestGuard
{
    private static readonly string[] Loopback = ["localhost", "127.0.0.1", "::1"];

    /// <summary>The reason to refuse a request (status, message), or null to serve it.</summary>
    public static (int Status, string Message)? Refusal(HttpRequest request, IReadOnlyCollection<string> allowedHosts)
    {
        var host = request.Host.Host.Trim('[', ']');
        if (!Loopback.Concat(allowedHosts).Any(h => string.Equals(h.Trim('[', ']'), host, StringComparison.OrdinalIgnoreCase)))
        {
            return (StatusCodes.Status403Forbidden,
                $"host '{request.Host.Host}' is not served here: allowed are {string.Join(", ", Loopback.Concat(allowedHosts))} (flame serve --allowed-host NAME adds one)");
        }

        if (HttpMethods.IsPost(request.Method) && !IsJson(request.ContentType))
        {
            return (StatusCodes.Status415UnsupportedMediaType, $"a POST needs Content-Type: application/json (got {(request.ContentType is { Length: > 0 } t ? $"'{t}'" : "none")})");
        }

        return null;
    }

    private static bool IsJson(string? contentType)
    {
        try
        {
            return contentType is not null && string.Equals(new ContentType(contentType).MediaType, "application/json", StringComparison.OrdinalIgnoreCase);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
