using System.CommandLine;
using Flame.Server;

namespace Flame.Cli.Commands;

/// <summary>`flame serve`: an exported model behind the HTTP API and the expert-probe page.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "A folder written by `flame export` (config.json, model.safetensors, tokenizer.json).", Required = true };
        var defaults = new ServerOptions();
        var host = new Option<string>("--host") { Description = "Address to bind (loopback by default; anything else exposes the server).", DefaultValueFactory = _ => defaults.Host };
        var port = new Option<int>("--port") { Description = "Port (0 picks a free one).", DefaultValueFactory = _ => defaults.Port };
        var traces = new Option<DirectoryInfo?>("--traces") { Description = "A traces folder (from `flame trace`, or FLAME-MoE's released traces) for GET /v1/experts/{layer}/{expert}." };
        var concurrent = new Option<int>("--max-concurrent") { Description = "Requests computed at once.", DefaultValueFactory = _ => defaults.MaxConcurrent };
        var queued = new Option<int>("--max-queued") { Description = "Requests waiting beyond those (more get 503).", DefaultValueFactory = _ => defaults.MaxQueued };
        var device = DeviceOption.Create();
        var maxPairs = new Option<int>("--max-pairs") { Description = "Pairs one /v1/loglikelihood request may hold (413 beyond).", DefaultValueFactory = _ => defaults.MaxPairs };
        var maxTokens = new Option<long>("--max-request-tokens") { Description = "Tokens one /v1/loglikelihood request may ask to score (413 beyond).", DefaultValueFactory = _ => defaults.MaxRequestTokens };
        var allowed = new Option<string[]>("--allowed-host")
        {
            Description = "A host name requests may use besides localhost, 127.0.0.1 and [::1] (e.g. this machine's name with --host 0.0.0.0); repeat for several.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("serve", "Serve an exported model: POST /v1/completions, /v1/route, /v1/loglikelihood with expert interventions, GET /v1/experts/{layer}/{expert}, a probe page at /, /openapi.json.")
        {
            model, host, port, traces, concurrent, queued, device, allowed, maxPairs, maxTokens,
        };
        command.SetAction(parseResult =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            using var served = ServedModel.Load(parseResult.GetValue(model)!.FullName, DeviceOption.Settings(parseResult, device));
            var options = new ServerOptions
            {
                Host = parseResult.GetValue(host)!, Port = parseResult.GetValue(port), Traces = parseResult.GetValue(traces)?.FullName,
                MaxConcurrent = parseResult.GetValue(concurrent), MaxQueued = parseResult.GetValue(queued),
                AllowedHosts = parseResult.GetValue(allowed) ?? [],
                MaxPairs = parseResult.GetValue(maxPairs), MaxRequestTokens = parseResult.GetValue(maxTokens),
            };
            if (!options.IsLoopback)
            {
                parseResult.InvocationConfiguration.Error.WriteLine(
                    $"warning: --host {options.Host} exposes the server beyond this machine, with no authentication; requests must name an allowed host "
                    + $"({(options.AllowedHosts.Count == 0 ? "only loopback names so far: add --allowed-host NAME" : string.Join(", ", options.AllowedHosts))})");
            }

            FlameServer.Run(served, options, urls =>
                o.WriteLine($"serving {served.Config.Name} from {served.Folder} at {string.Join(", ", urls)} (probe page at /, API at /openapi.json); Ctrl+C stops"));
            return 0;
        });
        return command;
    }
}
