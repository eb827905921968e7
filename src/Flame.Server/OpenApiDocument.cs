namespace Flame.Server;

/// <summary>The API's OpenAPI 3 document, served at /openapi.json (written by hand: the OpenAPI package is not in our NuGet mirror).</summary>
public static class OpenApiDocument
{
    public const string Json = """
    {
      "openapi": "3.0.3",
      "info": { "title": "Flame.Onnx inference server", "version": "1.0", "description": "Generate, score and probe the experts of one exported FLAME-MoE model. Errors are {\"error\": {\"message\", \"status\"}} with 400 (bad request), 404, 413 (too long) or 503 (queue full)." },
      "paths": {
        "/v1/model": { "get": { "summary": "The served model: layers, experts, top-k, MoE layers, vocabulary, context length.", "responses": { "200": { "description": "model facts" } } } },
        "/v1/completions": { "post": { "summary": "Generate text (greedy at temperature 0; temperature, top_k, top_p sampling; stop strings; stream=true for server-sent events).",
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CompletionRequest" } } } },
          "responses": { "200": { "description": "{text, tokens, finish_reason, prompt_tokens} or an event stream" }, "400": { "description": "bad request" }, "413": { "description": "prompt too long" } } } },
        "/v1/route": { "post": { "summary": "Per token and MoE layer: the top-k experts and their weights.",
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RouteRequest" } } } },
          "responses": { "200": { "description": "{tokens: [{id, text, layers: [{layer, experts, weights}]}], experts, top_k}" }, "400": { "description": "bad request" }, "413": { "description": "text too long" } } } },
        "/v1/loglikelihood": { "post": { "summary": "Log-likelihood of continuations given contexts (and whether each is the greedy continuation).",
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/LoglikelihoodRequest" } } } },
          "responses": { "200": { "description": "{results: [{logprob, is_greedy, tokens}]}" }, "400": { "description": "bad request" } } } },
        "/v1/experts/{layer}/{expert}": { "get": { "summary": "The tokens an expert prefers (score = share of a token's occurrences routed to it), from the configured traces.",
          "parameters": [ { "name": "layer", "in": "path", "required": true, "schema": { "type": "integer" } }, { "name": "expert", "in": "path", "required": true, "schema": { "type": "integer" } }, { "name": "top", "in": "query", "schema": { "type": "integer", "default": 20 } } ],
          "responses": { "200": { "description": "{layer, expert, checkpoint, tokens: [{id, text, hits, occurrences, score}]}" }, "400": { "description": "out of range" }, "404": { "description": "no traces" } } } }
      },
      "components": { "schemas": {
        "Intervention": { "type": "object", "required": ["layer", "experts"], "additionalProperties": false, "properties": {
          "layer": { "type": "integer", "description": "an MoE layer (0-based)" }, "experts": { "type": "array", "items": { "type": "integer" } },
          "mode": { "type": "string", "enum": ["mask", "zero"], "default": "mask", "description": "mask: removed from the router's choice (the next best take their place); zero: contribution removed, routing unchanged" } } },
        "CompletionRequest": { "type": "object", "required": ["prompt"], "additionalProperties": false, "properties": {
          "prompt": { "type": "string" }, "max_tokens": { "type": "integer", "default": 32 }, "temperature": { "type": "number", "default": 0 }, "top_k": { "type": "integer", "default": 0 },
          "top_p": { "type": "number", "default": 1 }, "stop": { "type": "array", "items": { "type": "string" } }, "seed": { "type": "integer" }, "stream": { "type": "boolean", "default": false },
          "interventions": { "type": "array", "items": { "$ref": "#/components/schemas/Intervention" } } } },
        "RouteRequest": { "type": "object", "required": ["text"], "additionalProperties": false, "properties": {
          "text": { "type": "string" }, "interventions": { "type": "array", "items": { "$ref": "#/components/schemas/Intervention" } } } },
        "LoglikelihoodRequest": { "type": "object", "required": ["requests"], "additionalProperties": false, "properties": {
          "requests": { "type": "array", "items": { "type": "object", "required": ["context", "continuation"], "properties": { "context": { "type": "string" }, "continuation": { "type": "string" } } } },
          "interventions": { "type": "array", "items": { "$ref": "#/components/schemas/Intervention" } } } }
      } }
    }
    """;
}
