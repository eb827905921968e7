# The wait of small requests while a maximal /v1/loglikelihood runs (docs/benchmarks.md):
#   python3 bench/serve_fairness.py FLAME_BINARY EXPORT_DIR PORT
import json, sys, threading, time, urllib.request, subprocess, statistics
flame, model, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
server = subprocess.Popen([flame, "serve", "--model", model, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
for line in server.stdout:
    if "serving" in line: break
def post(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    t = time.perf_counter(); urllib.request.urlopen(req, timeout=600).read(); return time.perf_counter() - t
pairs = {"requests": [{"context": "The whale swam under the ship and the captain said that the sea " * 3, "continuation": " was calm"} for _ in range(1000)]}
post("/v1/route", {"text": "warm up"})
big = {}
def run_big(): big["t"] = post("/v1/loglikelihood", pairs)
th = threading.Thread(target=run_big); th.start(); time.sleep(0.3)
lat = []
while th.is_alive() and len(lat) < 200:
    lat.append(post("/v1/route", {"text": "The whale swam under the ship"}))
th.join()
lat.sort()
print(f"large request {big['t']:.2f} s; {len(lat)} small /v1/route during it: median {statistics.median(lat)*1000:.0f} ms, p99 {lat[min(len(lat)-1, int(len(lat)*0.99))]*1000:.0f} ms, max {lat[-1]*1000:.0f} ms")
server.terminate(); server.wait()
