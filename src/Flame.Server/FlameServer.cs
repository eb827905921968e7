using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Flame.Server;

/// <summary>Where and how the server listens.</summary>
public sealed record ServerOptions
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>A traces folder for GET /v1/experts/{layer}/{expert}; none disables that endpoint.</summary>
    public string? Traces { get; init; }

    /// <summary>Requests run at once; more wait in a queue of <see cref="MaxQueued"/>, beyond which the server answers 503.</summary>
    public int MaxConcurrent { get; init; } = 1;

    public int MaxQueued { get; init; } = 32;

    public int MaxNewTokens { get; init; } = 256;

    public long MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Pairs one /v1/loglikelihood request may hold (413 beyond).</summary>
    public int MaxPairs { get; init; } = 1024;

    /// <summary>Tokens one /v1/loglikelihood request may ask to score, over all its pairs (413 beyond).</summary>
    public long MaxRequestTokens { get; init; } = 262_144;

    /// <summary>
    /// Pairs scored per turn of a long /v1/loglikelihood request: it gives the compute slot back
    /// between turns, so a small request that arrives meanwhile waits for one turn, not the whole.
    /// </summary>
    public int PairsPerTurn { get; init; } = 8;

    /// <summary>Host names requests may name besides localhost, 127.0.0.1 and [::1] (the machine's name when bound beyond loopback).</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Whether <see cref="Host"/> is a loopback address, reachable from this machine only.</summary>
    public bool IsLoopback => Host is "127.0.0.1" or "localhost" or "::1" or "[::1]" || (System.Net.IPAddress.TryParse(Host, out var address) && System.Net.IPAddress.IsLoopback(address));
}

/// <summary>
/// `flame serve`: one exported model behind an HTTP API (ASP.NET Core minimal APIs) for
/// generating, scoring and probing experts, with a web page. Bad requests get a JSON error
/// (400, 404, 413, 503) and never take the server down.
/// </summary>
public static class FlameServer
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Starts the server, reports its addresses, and blocks until the process is asked to stop (Ctrl+C).</summary>
    public static void Run(ServedModel model, ServerOptions options, Action<IReadOnlyCollection<string>> started)
    {
        var app = Create(model, options);
        app.StartAsync().GetAwaiter().GetResult();
        started(app.Urls.ToList());
        app.WaitForShutdownAsync().GetAwaiter().GetResult();
    }

    /// <summary>Starts the server in the background (tests, benchmarks); dispose to stop it.</summary>
    public static async Task<RunningServer> StartAsync(ServedModel model, ServerOptions options)
    {
        var app = Create(model, options);
        await app.StartAsync();
        return new RunningServer(app);
    }

    public static WebApplication Create(ServedModel model, ServerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes);
        var app = builder.Build();
        var gate = new AdmissionGate(options.MaxConcurrent, options.MaxQueued);
        var engine = new ProbeEngine(model, options);
        var experts = options.Traces is { } traces ? new ExpertTokenQuery(traces) : null;

        app.Use(async (context, next) =>
        {
            if (RequestGuard.Refusal(context.Request, options.AllowedHosts) is { } refusal)
            {
                context.Response.StatusCode = refusal.Status;
                await context.Response.WriteAsJsonAsync(new ErrorResponse(new ErrorBody(refusal.Message, refusal.Status)), Json);
                return;
            }

            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                var (status, message) = e switch
                {
                    RequestException r => (r.Status, r.Message),
                    JsonException j => (400, "malformed request: " + j.Message),
                    BadHttpRequestException b => (b.StatusCode, b.Message),
                    _ => (500, "internal error: " + e.Message),
                };
                context.Response.StatusCode = status;
                await context.Response.WriteAsJsonAsync(new ErrorResponse(new ErrorBody(message, status)), Json);
            }
        });

        app.MapGet("/", () => Results.Content(ProbePage.Html, "text/html; charset=utf-8"));
        app.MapGet("/openapi.json", () => Results.Content(OpenApiDocument.Json, "application/json"));
        app.MapGet("/v1/model", () => Results.Json(new
        {
            name = model.Config.Name, layers = model.Config.Layers, experts = model.Config.Experts, top_k = model.Config.TopK,
            moe_layers = model.MoeLayers, vocab_size = model.Config.VocabSize, max_seq_len = model.Config.MaxSequenceLength, traces = options.Traces is not null,
        }, Json));

        app.MapPost("/v1/route", async context =>
        {
            var request = await Read<RouteRequest>(context);
            var response = await gate.Run(() => engine.Route(request), context.RequestAborted);
            await context.Response.WriteAsJsonAsync(response, Json);
        });

        app.MapPost("/v1/loglikelihood", async context =>
        {
            var prepared = engine.Prepare(await Read<LoglikelihoodRequest>(context));
            var results = new List<LoglikelihoodResult>(prepared.Pairs.Count);
            for (var first = 0; first < prepared.Pairs.Count; first += options.PairsPerTurn)
            {
                // One turn at a time: waiting requests (FIFO in the gate) run between turns; a client that left stops the work.
                var turn = first;
                results.AddRange(await gate.Run(() => engine.Loglikelihood(prepared, turn, options.PairsPerTurn, context.RequestAborted), context.RequestAborted));
            }

            await context.Response.WriteAsJsonAsync(new LoglikelihoodResponse([.. results]), Json);
        });

        app.MapPost("/v1/completions", async context =>
        {
            var request = engine.Prepare(await Read<CompletionRequest>(context));
            if (!request.Request.Stream)
            {
                var response = await gate.Run(() => engine.Complete(request, null), context.RequestAborted);
                await context.Response.WriteAsJsonAsync(response, Json);
                return;
            }

            // Server-sent events: one event per token, then the summary and [DONE].
            context.Response.ContentType = "text/event-stream";
            var summary = await gate.Run(() => engine.Complete(request, piece =>
            {
                var line = "data: " + JsonSerializer.Serialize(new { token = piece }, Json) + "\n\n";
                context.Response.WriteAsync(line).GetAwaiter().GetResult();
                context.Response.Body.FlushAsync().GetAwaiter().GetResult();
            }), context.RequestAborted);
            await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(summary, Json) + "\n\ndata: [DONE]\n\n");
        });

        app.MapGet("/v1/experts/{layer:int}/{expert:int}", async (HttpContext context, int layer, int expert, int? top) =>
        {
            if (experts is null)
            {
                throw new RequestException("no traces folder is configured (flame serve --traces DIR)", 404);
            }

            if (!model.MoeLayers.Contains(layer) || expert < 0 || expert >= model.Config.Experts)
            {
                throw new RequestException($"layer {layer} / expert {expert} is out of range (MoE layers {string.Join(", ", model.MoeLayers)}, experts 0..{model.Config.Experts - 1})");
            }

            var (checkpoint, tokens) = await gate.Run(() => experts.Top(layer, expert, Math.Clamp(top ?? 20, 1, 500)), context.RequestAborted);
            await context.Response.WriteAsJsonAsync(new ExpertTokensResponse(layer, expert, checkpoint,
                [.. tokens.Select(t => new ExpertToken(t.Token, model.Tokenizer.Decode([t.Token]), t.Hits, t.Occurrences, (double)t.Hits / t.Occurrences))]), Json);
        });

        return app;
    }

    private static async Task<T> Read<T>(HttpContext context)
    {
        if (context.Request.ContentLength > 0 || context.Request.ContentLength is null)
        {
            var request = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, Json, context.RequestAborted);
            if (request is not null)
            {
                return request;
            }
        }

        throw new RequestException($"the request body must be a JSON {typeof(T).Name}");
    }
}

/// <summary>A server started by <see cref="FlameServer.StartAsync"/>: where it listens; disposing stops it.</summary>
public sealed class RunningServer(WebApplication app) : IAsyncDisposable
{
    public Uri Address { get; } = new(app.Urls.First());

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
