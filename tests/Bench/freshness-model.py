#!/usr/bin/env python3
"""A model of the freshness benchmark's register (issues 28 and 35), to choose the change model's constants before the real
benchmark (Invoke-FreshnessBenchmark.ps1) and to check them after. 3,000 assets: 1% change about daily, 9% monthly, 90%
yearly; every asset synced on night 0; then NIGHTS nights at a budget of 10% a night. It mirrors the engine's rules: a first
observation is the age of the last change (none for an import's shared stamp), later ones the interval (unchanged) or the
time since the last change; the prior is a mixture on a log grid fitted by EM to each asset's whole history; the order is
E[psi] at the run cadence (a night; the true-rate order plain psi, as the benchmark's) over the posterior of the recent
(discounted by MEMORY per observation) history, with AUDIT (a twentieth) of audits drawn at
random weighted by age; a change the prior explains EVIDENCE times better than the recent history is a change point (the
recent history starts again; 0: never), and so is a quiet span (no change since the sync that last saw one) the prior
explains QUIET times better than the recent history before the span (QUIET in the environment, as
SyncDefaults.QuietSpanEvidence, 300; 0: never); the gauge is the posterior chance of a change over the whole history.
Scenarios: ideal, drift (1% of quiet assets turn daily and the daily go quiet at night 20), imported (every last_modified
before the first sync at one date 400 days earlier). For drift it also prints the stale assets and visits per night by group.
Usage: python3 tests/Bench/freshness-model.py [scenario] [memory] [nights] [seed] [evidence]   (no packages; minutes per run;
AUDIT=0.1 in the environment for another audit share, QUIET=0 for no quiet-span test)
Prints the stale assets after each learning period relative to the round robin, the true-rate order's, and the gauge."""
import math, os, random, sys

N, BUDGET, GRID = 3000, 300, 24
AUDIT = float(os.environ.get("AUDIT", "0.05"))  # the audit share, as SyncDefaults.AuditShare; env AUDIT to try another
SCENARIO = sys.argv[1] if len(sys.argv) > 1 else 'ideal'
MEMORY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.95
NIGHTS = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else (50 if SCENARIO == 'drift' else 40)
SEED = int(sys.argv[4]) if len(sys.argv) > 4 else 1
EVIDENCE = float(sys.argv[5]) if len(sys.argv) > 5 else 2.0
QUIET = float(os.environ.get("QUIET", "300"))  # a quiet span the prior explains QUIET times better than the history before it: a change point (0: never)

def fit(obs):
    groups = {}
    for k, t in obs:
        if t > 0:
            g = groups.setdefault((k, round(math.log(t) * 8)), [0, 0.0]); g[0] += 1; g[1] += t
    if not groups: return None
    rows = [(k, tot / n, n) for (k, _), (n, tot) in groups.items()]
    low = 0.5 / max(t for _, t, _ in rows); high = max(max((k + 1) / t for k, t, _ in rows), low * 10)
    grid = [low * (high / low) ** (j / (GRID - 1)) for j in range(GRID)]
    like = []
    for k, t, _ in rows:
        row = [k * math.log(g) - g * t for g in grid]; m = max(row); like.append([math.exp(x - m) for x in row])
    w = [1 / GRID] * GRID; total = sum(n for *_, n in rows)
    for _ in range(200):
        acc = [0.0] * GRID
        for row, (_, _, n) in zip(like, rows):
            s = sum(a * b for a, b in zip(w, row))
            for j in range(GRID): acc[j] += n * w[j] * row[j] / s
        w = [a / total for a in acc]
    return grid, w

def posterior(model, k, t):
    grid, w = model
    if t <= 0: return w
    logs = [math.log(x) + k * math.log(g) - g * t if x > 0 else -1e300 for g, x in zip(grid, w)]
    m = max(logs); p = [math.exp(x - m) for x in logs]; s = sum(p)
    return [x / s for x in p]

def psi(rate, age):
    x = rate * age
    if x <= 0: return 0.0
    if x < 1e-6: return age * x / 2
    e = math.exp(-min(x, 700)); return age * ((1 - e) / x - e)

def psi_at_cadence(rate, age, step=1.0):
    """The engine's index with runs every `step` (nights here): a(a+D)[F(a) - F(a+D)]/D, F(a) = (1 - e^-ra)/(ra)."""
    if rate <= 0 or age <= 0: return 0.0
    def F(a):
        x = rate * a
        return 1 - x / 2 + x * x / 6 if x < 1e-4 else -math.expm1(-min(x, 700)) / x
    return age * (age + step) * (F(age) - F(age + step)) / step

def run(order):
    rng = random.Random(SEED)
    lam = [1.0 if c < 0.01 else (1 / 30 if c < 0.10 else 1 / 365) for c in (rng.random() for _ in range(N))]
    after = list(lam)
    orig = list(lam)
    if SCENARIO == 'drift':
        quiet = [i for i in range(N) if lam[i] == 1 / 365]
        for i in rng.sample(quiet, N // 100): after[i] = 1.0
        for i in range(N):
            if lam[i] == 1.0: after[i] = 1 / 365
    r = random.Random(SEED + 1)
    last = [-r.expovariate(l) for l in lam]
    nxt = [r.expovariate(l) for l in lam]
    synced = [0.0] * N
    changed = [0.0] * N   # when the last change was observed (the sync that saw it)
    imported = SCENARIO == 'imported'
    total = [(0, 0.0) if imported else (1, -x) for x in last]       # the whole history (k, T): prior and gauge
    recent = [(0.0, 0.0) if imported else (1.0, -x) for x in last]   # discounted: the order
    audits = random.Random(SEED + 7)
    stale, gauge = [], []
    for night in range(1, NIGHTS + 1):
        now = float(night)
        if SCENARIO == 'drift' and night == 21:
            for i in range(N):
                if after[i] != lam[i]:
                    lam[i] = after[i]
                    if nxt[i] > 20: nxt[i] = 20 + r.expovariate(lam[i])
        for i in range(N):
            while nxt[i] <= now: last[i] = nxt[i]; nxt[i] += r.expovariate(lam[i])
        model = fit(total)
        by_age = sorted(range(N), key=lambda i: (synced[i], i))
        if order == 'Stalest' or (order == 'ChangeRate' and model is None):
            chosen = by_age[:BUDGET]
        else:
            if order == 'TrueRate':
                value = [psi(lam[i], now - synced[i]) for i in range(N)]
            else:
                grid = model[0]
                value = [sum(p * psi_at_cadence(g, now - synced[i]) for p, g in zip(posterior(model, *recent[i]), grid)) for i in range(N)]
            by_value = sorted(range(N), key=lambda i: (-value[i], synced[i], i))
            place = {i: rank / (1 - AUDIT) for rank, i in enumerate(by_value, 1)}
            if order == 'ChangeRate':
                keys = {i: math.log(audits.random() + 1e-300) / max(now - synced[i], 1e-9) for i in range(N)}   # Efraimidis-Spirakis
                for rank, i in enumerate(sorted(range(N), key=lambda i: -keys[i]), 1): place[i] = min(place[i], rank / AUDIT)
            chosen = sorted(range(N), key=lambda i: (place[i], i))[:BUDGET]
        for i in chosen:
            dk, dt = (1, now - last[i]) if last[i] > synced[i] else (0, now - synced[i])
            total[i] = (total[i][0] + dk, total[i][1] + dt)
            if EVIDENCE > 0 and dk and model is not None and order == 'ChangeRate' and recent[i][1] > 0:
                grid, w = model
                like = [g * math.exp(-g * dt) for g in grid]
                p_recent = sum(p * l for p, l in zip(posterior(model, *recent[i]), like)); p_prior = sum(p * l for p, l in zip(w, like))
                if p_prior > EVIDENCE * p_recent: recent[i] = (0.0, 0.0)   # a change point
            quiet_restart = False
            if QUIET > 0 and not dk and model is not None and order == 'ChangeRate':
                grid, w = model
                span = now - changed[i]; k, t = recent[i]; before = t - (span - dt)
                if k > 0 and before > 0 and k * span >= before:   # as the engine: a span shorter than the mean gap is not weighed
                    p_before = sum(p * math.exp(-g * span) for p, g in zip(posterior(model, k, before), grid))
                    p_prior = sum(x * math.exp(-g * span) for x, g in zip(w, grid))
                    if p_prior > QUIET * p_before: recent[i] = (0.0, span); quiet_restart = True
            if not quiet_restart: recent[i] = (recent[i][0] * MEMORY + dk, recent[i][1] * MEMORY + dt)
            if dk: changed[i] = now
            synced[i] = now
        stale.append(sum(1 for i in range(N) if last[i] > synced[i]))
        if SCENARIO == 'drift' and night > 30:
            grp = lambda i: ('newbusy' if after[i] == 1.0 and orig[i] != 1.0 else 'oldbusy' if orig[i] == 1.0 else 'monthly' if orig[i] == 1/30 else 'yearly')
            for i in range(N):
                if last[i] > synced[i]: diag[order + ' stale ' + grp(i)] = diag.get(order + ' stale ' + grp(i), 0) + 1 / 20
            for i in chosen: diag[order + ' visits ' + grp(i)] = diag.get(order + ' visits ' + grp(i), 0) + 1 / 20
        if order == 'ChangeRate' and model is not None:
            model = fit(total)
            gauge.append(sum(1 - sum(p * math.exp(-g * (now - synced[i])) for p, g in zip(posterior(model, *total[i]), model[0])) for i in range(N)))
    return stale, gauge

diag = {}
mean = lambda xs: sum(xs) / len(xs) if xs else float('nan')
learn = 30 if SCENARIO == 'drift' else 10
base, _ = run('Stalest'); rate, gauge = run('ChangeRate'); oracle, _ = run('TrueRate')
print(f"{SCENARIO}, memory {MEMORY}, change points at {EVIDENCE}, seed {SEED}: nights {learn + 1}+ ChangeRate {mean(rate[learn:]) / mean(base[learn:]):.3f}x, "
      f"true rates {mean(oracle[learn:]) / mean(base[learn:]):.3f}x of Stalest ({mean(base[learn:]):.1f} stale); "
      f"nights 1-10 {mean(rate[:10]) / mean(base[:10]):.3f}x; gauge {mean(gauge[-(NIGHTS - learn):]):.1f} against {mean(rate[learn:]):.1f} true")

for k in sorted(diag): print(f'  {k}: {diag[k]:.1f} a night')
