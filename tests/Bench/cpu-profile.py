"""Attributes the CPU samples of a dotnet-trace thread-time profile (Speedscope export) to methods: exclusive, and
inclusive for a few namespaces. Usage: python3 tests/Bench/cpu-profile.py out/firstsync.speedscope.json [regex ...]"""
import json, sys, collections, re
d = json.load(open(sys.argv[1]))
frames = [f['name'] for f in d['shared']['frames']]
total = 0
incl = collections.Counter(); excl = collections.Counter(); leafs = collections.Counter()
for p in d['profiles']:
    if p['type'] != 'evented': continue
    stack = []; last = p['startValue']
    for e in p['events']:
        t = e['at']
        if stack and t > last:
            leafs[frames[stack[-1]]] += t - last
            if frames[stack[-1]] == 'CPU_TIME' and len(stack) > 1:
                dt = t - last; total += dt
                excl[frames[stack[-2]]] += dt
                for s in set(stack[:-1]): incl[frames[s]] += dt
        last = t
        if e['type'] == 'O': stack.append(e['frame'])
        else: stack.pop()
print('leaf kinds', [(k, round(v)) for k, v in leafs.most_common(5)])
print('CPU ms', round(total, 1))
def short(n): return re.sub(r'\(.*', '', n)[:140]
print('== exclusive (the method on CPU)')
for n, v in excl.most_common(25): print(f"{100*v/total:6.1f}%  {short(n)}")
print('== inclusive, selected')
pats = sys.argv[2:] or [r'AssetSync', r'Npgsql', r'Polly', r'System.Net.Http', r'System.Text.Json', r'Automation', r'JIT|Jit|Tier', r'Sockets', r'Crypto|Sha|Hash']
for pat in pats:
    best = [(n, v) for n, v in incl.most_common(3000) if re.search(pat, n)]
    print(f"-- {pat}")
    for n, v in best[:8]: print(f"{100*v/total:6.1f}%  {short(n)}")
