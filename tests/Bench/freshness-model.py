#!/usr/bin/env python3
"""A model of issue 28's register, to choose the audit share (docs/design.md) and to check the policy before the real
benchmark (Invoke-FreshnessBenchmark.ps1). 3,000 assets: 1% change about daily, 9% monthly, 90% yearly; every asset
synced on night 0; then 40 nights at a budget of 10% a night. It mirrors the engine's rules: a first observation is the
age of the last change, later ones the interval (unchanged) or the time since the last change; the prior is a mixture
on a log grid fitted by EM; the order is Cho and Garcia-Molina's index with a share of stalest-first audits.
Prints, per audit share and seed, the stale assets after each night relative to the round robin.
Usage: python3 tests/Bench/freshness-model.py [nights] (no packages needed)."""
import math, random, sys

N, BUDGET = 3000, 300
NIGHTS = int(sys.argv[1]) if len(sys.argv) > 1 else 40

def fit(ks, ts, grid_size=24, iterations=300):
    groups = {}
    for k, t in zip(ks, ts):
        g = groups.setdefault((k, round(math.log(t) * 8)), [0, 0.0])
        g[0] += 1; g[1] += t
    rows = [(k, tot / n, n) for (k, _), (n, tot) in groups.items()]
    low = 0.5 / max(t for _, t, _ in rows)
    high = max(max((k + 1) / t for k, t, _ in rows), low * 10)
    grid = [low * (high / low) ** (j / (grid_size - 1)) for j in range(grid_size)]
    like = []
    for k, t, _ in rows:
        row = [k * math.log(g) - g * t for g in grid]
        m = max(row)
        like.append([math.exp(x - m) for x in row])
    w = [1 / grid_size] * grid_size
    total = sum(n for *_, n in rows)
    for _ in range(iterations):
        acc = [0.0] * grid_size
        for row, (_, _, n) in zip(like, rows):
            s = sum(wj * lj for wj, lj in zip(w, row))
            for j in range(grid_size):
                acc[j] += n * w[j] * row[j] / s
        w = [a / total for a in acc]
    return grid, w

def posterior(grid, w, k, t):
    logs = [math.log(wj) + k * math.log(g) - g * t if wj > 0 else -1e300 for g, wj in zip(grid, w)]
    m = max(logs)
    p = [math.exp(x - m) for x in logs]
    return sum(pj * g for pj, g in zip(p, grid)) / sum(p)

def index(rate, age):
    x = rate * age
    if x <= 0: return 0.0
    if x < 1e-6: return age * x / 2
    e = math.exp(-min(x, 700))
    return age * ((1 - e) / x - e)

def run(order, audit, seed):
    rng = random.Random(seed)
    lam = [1.0 if c < 0.01 else (1 / 30 if c < 0.10 else 1 / 365) for c in (rng.random() for _ in range(N))]
    r = random.Random(seed + 1)
    last_change = [-r.expovariate(l) for l in lam]
    next_change = [r.expovariate(l) for l in lam]
    synced = [0.0] * N
    k = [1] * N                         # night 0: the age of the last change
    t = [-x for x in last_change]
    stale = []
    for night in range(1, NIGHTS + 1):
        now = float(night)
        for i in range(N):
            while next_change[i] <= now:
                last_change[i] = next_change[i]; next_change[i] += r.expovariate(lam[i])
        by_age = sorted(range(N), key=lambda i: (synced[i], i))
        if order == 'Stalest':
            chosen = by_age[:BUDGET]
        else:
            grid, w = fit(k, t)
            value = {i: index(posterior(grid, w, k[i], t[i]), now - synced[i]) for i in range(N)}
            by_value = sorted(range(N), key=lambda i: (-value[i], synced[i], i))
            place = {}
            for rank, i in enumerate(by_value, 1): place[i] = rank / (1 - audit)
            if audit > 0:
                for rank, i in enumerate(by_age, 1): place[i] = min(place[i], rank / audit)
            chosen = sorted(range(N), key=lambda i: (place[i], i))[:BUDGET]
        for i in chosen:
            if last_change[i] > synced[i]:
                k[i] += 1; t[i] += now - last_change[i]
            else:
                t[i] += now - synced[i]
            synced[i] = now
        stale.append(sum(1 for i in range(N) if last_change[i] > synced[i]))
    return stale

mean = lambda xs: sum(xs) / len(xs)
for seed in (1, 3, 5):
    base = run('Stalest', 0, seed)
    for audit in (0.0, 0.05, 0.1, 0.2):
        s = run('ChangeRate', audit, seed)
        print(f"seed {seed} audit {audit:.2f}: nights 11+ {mean(s[10:]) / mean(base[10:]):.3f}x, nights 1-10 {mean(s[:10]) / mean(base[:10]):.3f}x of Stalest ({mean(base[10:]):.1f} stale)")
