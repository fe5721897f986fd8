#!/usr/bin/env python3
"""scale-plot.py - the plots and tables of benchmarks/scale.sh, with nothing beyond python3's standard library.

  scale-plot.py jmh RESULTS.json OUT.csv          JMH's JSON -> benchmark,caller,prefixes,ns_per_op,error,bytes_per_op
  scale-plot.py svg --csv F --x COL --y COL [--series COL] [--where COL=VALUE] [--agg median,max]
                    [--logx] [--target VALUE:LABEL] --title T --xlabel X --ylabel Y --out OUT.svg

The SVG is written by hand: a line per series (or per aggregate), points marked and labelled with their value,
a logarithmic x axis with --logx, a dashed line for a target.
"""
import csv
import json
import math
import statistics
import sys
from xml.sax.saxutils import escape

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def jmh(src, out):
    with open(src) as f:
        results = json.load(f)
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["benchmark", "caller", "prefixes", "ns_per_op", "error", "bytes_per_op"])
        for r in results:
            params = r.get("params", {})
            norm = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score", "NaN")
            # JMH writes "NaN" (a string) for the error of a single measurement.
            w.writerow([r["benchmark"].rsplit(".", 1)[-1], params.get("caller", ""), params.get("prefixes", ""),
                        "%.2f" % float(r["primaryMetric"]["score"]), "%.2f" % float(r["primaryMetric"]["scoreError"]),
                        "%.3f" % float(norm)])


def parse_args(argv):
    opts = {"where": [], "agg": None, "logx": False, "series": None, "target": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--logx":
            opts["logx"] = True
            i += 1
            continue
        key, value = a[2:], argv[i + 1]
        if key == "where":
            opts["where"].append(value.split("=", 1))
        else:
            opts[key] = value
        i += 2
    return opts


def nice_ticks(lo, hi, n=5):
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 5, 10) if m * mag >= raw), default=mag * 10)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while True:
        ticks.append(round(t, 10))
        if t >= hi - step * 1e-9:
            return ticks
        t += step


def fmt(v):
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return "{:,.0f}".format(v)
    if abs(v) >= 10:
        return "%.0f" % v
    return ("%.2f" % v).rstrip("0").rstrip(".")


def svg(opts):
    with open(opts["csv"]) as f:
        rows = [r for r in csv.DictReader(f) if all(r.get(k) == v for k, v in opts["where"])]
    series = {}
    for r in rows:
        x, y = float(r[opts["x"]]), float(r[opts["y"]])
        name = r[opts["series"]] if opts["series"] else opts["y"]
        series.setdefault(name, {}).setdefault(x, []).append(y)
    lines = {}
    aggs = opts["agg"].split(",") if opts["agg"] else [None]
    for name, points in series.items():
        for agg in aggs:
            label = name if agg is None else (agg if len(series) == 1 else name + " " + agg)
            f = {None: lambda v: v[-1], "median": statistics.median, "max": max, "min": min}[agg]
            lines[label] = sorted((x, f(v)) for x, v in points.items())
    if not lines:
        sys.exit("scale-plot.py: no rows in %s match" % opts["csv"])
    target = None
    if opts["target"]:
        value, _, tlabel = opts["target"].partition(":")
        target = (float(value), tlabel)

    W, H, L, R, T, B = 720, 420, 80, 150, 40, 60
    xs = sorted({x for pts in lines.values() for x, _ in pts})
    ys = [y for pts in lines.values() for _, y in pts] + ([target[0]] if target else [])
    tx = (lambda v: math.log10(v)) if opts["logx"] else (lambda v: v)
    xlo, xhi = tx(min(xs)), tx(max(xs))
    if xhi == xlo:
        xlo, xhi = xlo - 1, xhi + 1
    yticks = nice_ticks(0, max(ys) * 1.1 if max(ys) > 0 else 1)
    ylo, yhi = 0, yticks[-1]

    def px(v):
        return L + (tx(v) - xlo) / (xhi - xlo) * (W - L - R)

    def py(v):
        return H - B - (v - ylo) / (yhi - ylo) * (H - T - B)

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="12">' % (W, H), '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>' % (L, escape(opts["title"]))]
    for t in yticks:
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (L, W - R, py(t), py(t)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (L - 6, py(t) + 4, fmt(t)))
    for x in xs:
        out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/>' % (px(x), px(x), T, H - B))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (px(x), H - B + 16, fmt(x)))
    out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>' % (L, W - R, H - B, H - B))
    out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>' % (L, L, T, H - B))
    xlabel = opts["xlabel"] + (" (log scale)" if opts["logx"] else "")
    out.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % ((L + W - R) / 2, H - 18, escape(xlabel)))
    out.append('<text transform="translate(18,%d) rotate(-90)" text-anchor="middle">%s</text>'
               % ((T + H - B) / 2, escape(opts["ylabel"])))
    if target:
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#444" stroke-dasharray="6,4"/>'
                   % (L, W - R, py(target[0]), py(target[0])))
        out.append('<text x="%d" y="%.1f" fill="#444">%s</text>' % (W - R + 6, py(target[0]) + 4,
                                                                   escape(target[1])))
    for i, (label, pts) in enumerate(lines.items()):
        c = COLOURS[i % len(COLOURS)]
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                   % (c, " ".join("%.1f,%.1f" % (px(x), py(y)) for x, y in pts)))
        for x, y in pts:
            out.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>' % (px(x), py(y), c))
            out.append('<text x="%.1f" y="%.1f" fill="%s" font-size="10">%s</text>'
                       % (px(x) + 5, py(y) - 6, c, fmt(y)))
        out.append('<rect x="%d" y="%d" width="12" height="3" fill="%s"/>' % (W - R + 10, T + 10 + 18 * i, c))
        out.append('<text x="%d" y="%d">%s</text>' % (W - R + 28, T + 15 + 18 * i, escape(label)))
    out.append("</svg>")
    with open(opts["out"], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "jmh":
        jmh(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 2 and sys.argv[1] == "svg":
        svg(parse_args(sys.argv[2:]))
    else:
        sys.exit(__doc__)
