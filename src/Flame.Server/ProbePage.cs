namespace Flame.Server;

/// <summary>The web page served at /: type a text, see which experts fire per token and layer, click experts to turn them off.</summary>
public static class ProbePage
{
    public const string Html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Flame.Onnx: expert probe</title>
    <style>
      body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
      textarea { width: 100%; height: 5em; font: inherit; }
      table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
      td, th { border: 1px solid #ddd; padding: 2px 4px; text-align: center; min-width: 1.6em; }
      th.expert { cursor: pointer; } th.off { background: #333; color: #fff; text-decoration: line-through; }
      td.token { text-align: left; white-space: pre; font-family: monospace; }
      #status { color: #666; }
    </style></head>
    <body>
    <h1>Which experts fire?</h1>
    <p>Each table is one MoE layer: a row per token, a column per expert, shaded by the expert's combine weight for that token.
    Click an expert's column header to take it out of the router's choice (<b>mask</b>: the next best experts take its place) or choose <b>zero</b> to remove its contribution only.</p>
    <textarea id="text">The whale swam under the ship while the captain watched from the deck.</textarea>
    <p><button id="route">Route</button> mode: <select id="mode"><option value="mask">mask</option><option value="zero">zero</option></select> <span id="status"></span></p>
    <div id="layers"></div>
    <script>
    const disabled = {}; // layer -> Set of experts
    async function route() {
      const interventions = Object.entries(disabled).filter(([, s]) => s.size > 0)
        .map(([layer, s]) => ({ layer: Number(layer), experts: [...s], mode: document.getElementById('mode').value }));
      document.getElementById('status').textContent = 'routing…';
      const response = await fetch('/v1/route', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: document.getElementById('text').value, interventions }) });
      const body = await response.json();
      if (!response.ok) { document.getElementById('status').textContent = body.error.message; return; }
      document.getElementById('status').textContent = body.tokens.length + ' tokens';
      render(body);
    }
    function render(body) {
      const root = document.getElementById('layers'); root.innerHTML = '';
      const layers = body.tokens.length ? body.tokens[0].layers.map(l => l.layer) : [];
      for (const layer of layers) {
        const set = disabled[layer] ??= new Set();
        const table = document.createElement('table');
        const head = table.insertRow(); head.insertCell().outerHTML = '<th>layer ' + layer + '</th>';
        for (let e = 0; e < body.experts; e++) {
          const th = document.createElement('th'); th.textContent = e; th.className = 'expert' + (set.has(e) ? ' off' : '');
          th.title = 'expert ' + e + ': click to toggle';
          th.onclick = () => { set.has(e) ? set.delete(e) : set.add(e); route(); };
          head.appendChild(th);
        }
        for (const token of body.tokens) {
          const row = table.insertRow(); const cell = row.insertCell(); cell.className = 'token'; cell.textContent = JSON.stringify(token.text);
          const routing = token.layers.find(l => l.layer === layer);
          for (let e = 0; e < body.experts; e++) {
            const c = row.insertCell(); const i = routing.experts.indexOf(e);
            if (i >= 0) { const w = routing.weights[i]; c.style.background = 'rgba(213,94,0,' + Math.min(1, 0.15 + w) + ')'; c.title = 'weight ' + w.toFixed(3); c.textContent = i + 1; }
          }
        }
        root.appendChild(table);
      }
    }
    // A link can carry experts to turn off: #off=1:0,3;2:5 (layer:experts; ...), e.g. to share a finding.
    for (const part of decodeURIComponent(location.hash.replace(/^#off=/, '')).split(';').filter(p => p.includes(':'))) {
      const [layer, experts] = part.split(':');
      disabled[Number(layer)] = new Set(experts.split(',').filter(e => e !== '').map(Number));
    }
    document.getElementById('route').onclick = route;
    route();
    </script>
    </body></html>
    """;
}
