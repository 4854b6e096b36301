"""Draw the book's schematic diagrams as byte-reproducible SVG files.

Run ``python chapters/figures/draw.py [--out DIR]``; DIR defaults to the
folder of this script. Coordinates are in inches (axes fill the figure),
so circles stay round and sizes match the printed figure.
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Circle, FancyBboxPatch, Rectangle  # noqa: E402

matplotlib.rcParams.update({
    "svg.hashsalt": "nnbook",
    "svg.fonttype": "path",
    "font.size": 11,
    "mathtext.fontset": "cm",
    "font.family": "DejaVu Sans",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.grid": False,
})

INK = "black"
GREY = "0.45"
LIGHT = "0.92"
BLUE = "#1f5fa8"      # accent 1: forward / highlighted path
RED = "#c0392b"       # accent 2: backward messages / dropped units
BLUE_FILL = "#dce8f6"
RED_FILL = "#f6dcd8"


def new_fig(w, h):
    fig = plt.figure(figsize=(w, h))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, w)
    ax.set_ylim(0, h)
    ax.set_axis_off()
    return fig, ax


def circle(ax, xy, r, text="", fc="white", ec=INK, lw=1.2, size=11,
           tc=INK):
    c = Circle(xy, r, fc=fc, ec=ec, lw=lw, zorder=3)
    ax.add_patch(c)
    if text:
        ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=size,
                color=tc, zorder=4)
    return c


def box(ax, xy, w, h, text="", fc="white", ec=INK, lw=1.2, size=11,
        tc=INK, round_=True):
    x, y = xy[0] - w / 2, xy[1] - h / 2
    style = "round,pad=0,rounding_size=0.06" if round_ else "square,pad=0"
    b = FancyBboxPatch((x, y), w, h, boxstyle=style, fc=fc, ec=ec, lw=lw,
                       zorder=3)
    ax.add_patch(b)
    if text:
        ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=size,
                color=tc, zorder=4)
    return b


def arrow(ax, p, q, color=INK, lw=1.2, pa=None, pb=None, head=True,
          style="-|>", conn="arc3", ls="-", z=2):
    ax.annotate("", xy=q, xytext=p, zorder=z,
                arrowprops=dict(arrowstyle=style if head else "-",
                                color=color, lw=lw, patchA=pa, patchB=pb,
                                shrinkA=0, shrinkB=0, mutation_scale=11,
                                connectionstyle=conn, linestyle=ls))


def line(ax, pts, color=INK, lw=1.2, z=2, ls="-"):
    pts = np.asarray(pts, float)
    ax.plot(pts[:, 0], pts[:, 1], color=color, lw=lw, zorder=z, ls=ls,
            solid_capstyle="butt")


def dot(ax, xy, color=INK, r=0.035):
    ax.add_patch(Circle(xy, r, fc=color, ec=color, zorder=5))


def text(ax, xy, s, size=11, color=INK, ha="center", va="center", **kw):
    ax.text(xy[0], xy[1], s, ha=ha, va=va, fontsize=size, color=color,
            zorder=6, **kw)


# ---------------------------------------------------------------- diagrams
def neuron():
    fig, ax = new_fig(6.5, 3.0)
    xs = [(0.6, 2.3), (0.6, 1.5), (0.6, 0.7)]
    ins = [circle(ax, p, 0.27, rf"$x_{i + 1}$") for i, p in enumerate(xs)]
    s = circle(ax, (3.0, 1.5), 0.42, r"$\Sigma$", size=15)
    f = box(ax, (4.6, 1.5), 0.8, 0.6, r"$f$", size=14, fc=BLUE_FILL,
            ec=BLUE)
    for i, (c, p) in enumerate(zip(ins, xs)):
        arrow(ax, p, (3.0, 1.5), pa=c, pb=s)
        mx = 0.45 * p[0] + 0.55 * 3.0
        my = 0.45 * p[1] + 0.55 * 1.5
        text(ax, (mx, my + 0.17), rf"$w_{i + 1}$", color=BLUE)
    bpt = (3.0, 2.75)
    text(ax, bpt, r"$b$", size=12)
    arrow(ax, (3.0, 2.6), (3.0, 1.5), pb=s)
    arrow(ax, (3.0, 1.5), (4.6, 1.5), pa=s, pb=f)
    text(ax, (3.82, 1.68), r"$z$", size=12)
    arrow(ax, (4.6, 1.5), (6.0, 1.5), pa=f)
    text(ax, (6.2, 1.5), r"$a$", size=13)
    text(ax, (3.5, 0.45), r"$z = \sum_{i=1}^{3} w_i x_i + b"
         r" = \mathbf{w}^\top\mathbf{x} + b, \qquad a = f(z)$", size=11)
    text(ax, (0.6, 2.8), r"inputs $\mathbf{x}$", size=10, color=GREY)
    text(ax, (4.6, 2.0), "activation", size=10, color=GREY)
    return fig


def layer():
    # text sizes: every label, subscripts included (0.7 of the label's
    # size in mathtext), is at least 8 pt at the figure's 6.5 in
    fig, ax = new_fig(6.5, 3.6)
    D, H = 3, 4
    xin = [(0.75, 2.66 - 0.74 * i) for i in range(D)]
    yz = [2.99 - 0.74 * j for j in range(H)]
    zc = [(3.25, y) for y in yz]
    ac = [(5.75, y) for y in yz]
    ci = [circle(ax, p, 0.3, rf"$x_{i + 1}$", size=15)
          for i, p in enumerate(xin)]
    cz = [circle(ax, p, 0.3, rf"$z_{j + 1}$", fc=LIGHT, size=15)
          for j, p in enumerate(zc)]
    ca = [circle(ax, p, 0.3, rf"$a_{j + 1}$", size=15)
          for j, p in enumerate(ac)]
    for i in range(D):
        for j in range(H):
            arrow(ax, xin[i], zc[j], pa=ci[i], pb=cz[j], color=GREY, lw=0.9)
    for j in range(H):
        arrow(ax, zc[j], ac[j], pa=cz[j], pb=ca[j], color=BLUE, lw=1.3)
        text(ax, (4.5, yz[j] + 0.17), r"$f$", color=BLUE, size=15)
    text(ax, (2.0, 3.43), r"$W$  $(H{\times}D) = (4{\times}3)$, $\mathbf{b}$",
         size=14, color=INK)
    text(ax, (0.75, 0.3), r"$\mathbf{x}$  $(D,)$", size=14)
    text(ax, (3.25, 0.3), r"$\mathbf{z} = W\mathbf{x} + \mathbf{b}$  $(H,)$",
         size=14)
    text(ax, (5.75, 0.3), r"$\mathbf{a} = f(\mathbf{z})$", size=14)
    text(ax, (4.5, 3.43), r"$f$ element-wise", size=13, color=BLUE)
    return fig


def computational_graph():
    x, w, b, y = 2.0, 0.5, -0.5, 1.0
    u = w * x
    z = u + b
    a = 1 / (1 + np.exp(-z))
    e = a - y
    J = e ** 2
    de = 2 * e
    da = de
    dz = da * a * (1 - a)
    du, db = dz, dz
    dw, dx = du * x, du * w
    fig, ax = new_fig(7.0, 3.8)
    yc = 1.9
    xs = [1.4, 2.6, 3.8, 5.0, 6.05]
    keys = ["mul", "add", "sig", "sub", "sq"]
    lab = [r"$\times$", r"$+$", r"$\sigma$", r"$-$", r"$(\cdot)^2$"]
    P = {k: (xc, yc) for k, xc in zip(keys, xs)}
    N = {k: circle(ax, P[k], 0.28, s, size=12) for k, s in zip(keys, lab)}

    def fmt(v):
        return f"{v:.3f}".replace("-", "\N{MINUS SIGN}")

    def labels(xy, name, val, grad, ha="center", gap=0.27, dname=None):
        text(ax, xy, rf"${name} = {fmt(val)}$", size=11, ha=ha)
        if grad is not None:
            d = dname or rf"\partial J/\partial {name}"
            text(ax, (xy[0], xy[1] - gap), rf"${d} = {fmt(grad)}$",
                 size=11, color=RED, ha=ha)

    # leaves
    labels((0.08, 3.45), "w", w, dw, ha="left", gap=0.32)
    arrow(ax, (0.45, 3.0), P["mul"], pb=N["mul"])
    labels((0.08, 0.72), "x", x, dx, ha="left", gap=0.32)
    arrow(ax, (0.45, 0.8), P["mul"], pb=N["mul"])
    labels((xs[1], 3.45), "b", b, db, gap=0.32)
    arrow(ax, (xs[1], 3.0), P["add"], pb=N["add"])
    labels((xs[3], 0.42), "y", y, None)
    arrow(ax, (xs[3], 0.6), P["sub"], pb=N["sub"])
    # chain edges: value above, gradient below
    names = ["u", "z", "a", "e"]
    vals = [(u, du), (z, dz), (a, da), (e, de)]
    for k in range(4):
        arrow(ax, P[keys[k]], P[keys[k + 1]], pa=N[keys[k]],
              pb=N[keys[k + 1]])
        mx = (xs[k] + xs[k + 1]) / 2
        v, g = vals[k]
        text(ax, (mx, yc + 0.42), rf"${names[k]} = {fmt(v)}$", size=11)
        if names[k] == "z":
            text(ax, (mx, yc - 0.42), rf"$\delta = {fmt(g)}$", size=11,
                 color=RED)
        else:   # two lines: the labels are wider than the edges
            text(ax, (mx, yc - 0.42), rf"$\partial J/\partial {names[k]}$",
                 size=11, color=RED)
            text(ax, (mx, yc - 0.70), rf"$= {fmt(g)}$", size=11, color=RED)
    arrow(ax, P["sq"], (6.9, yc), pa=N["sq"])
    text(ax, (6.5, yc + 0.42), rf"$J = {fmt(J)}$", size=11)
    text(ax, (6.5, yc - 0.42), r"$\partial J/\partial J = 1$", size=11,
         color=RED)
    text(ax, ((xs[1] + xs[2]) / 2, yc - 0.70),
         r"$(\delta = \partial J/\partial z)$", size=11, color=RED)
    # direction legend
    arrow(ax, (3.6, 3.55), (4.4, 3.55), lw=1.4)
    text(ax, (4.5, 3.55), "forward: values", size=11, ha="left")
    arrow(ax, (4.4, 3.15), (3.6, 3.15), color=RED, lw=1.4)
    text(ax, (4.5, 3.15),
         r"backward: gradients $\partial J/\partial(\cdot)$", size=11,
         ha="left", color=RED)
    return fig


def residual_block():
    fig, ax = new_fig(7.0, 2.4)
    yc = 0.95
    names = ["conv", "BN", "ReLU", "conv", "BN"]
    xs = [1.2 + 0.85 * k for k in range(5)]
    text(ax, (0.25, yc), r"$\mathbf{x}$", size=13)
    prev, pp = (0.42, yc), None
    for k, (xc, nm) in enumerate(zip(xs, names)):
        fc = BLUE_FILL if nm == "conv" else (LIGHT if nm == "BN" else
                                             "white")
        b = box(ax, (xc, yc), 0.68, 0.5, nm, fc=fc, size=10)
        arrow(ax, prev, (xc, yc), pa=pp, pb=b)
        prev, pp = (xc, yc), b
    pl = circle(ax, (5.45, yc), 0.2, r"$+$", size=13)
    arrow(ax, prev, (5.45, yc), pa=pp, pb=pl)
    rl = box(ax, (6.2, yc), 0.68, 0.5, "ReLU", size=10)
    arrow(ax, (5.45, yc), (6.2, yc), pa=pl, pb=rl)
    arrow(ax, (6.2, yc), (6.9, yc), pa=rl)
    text(ax, (3.0, 0.38), r"$F(\mathbf{x})$", size=11)
    # shortcut
    line(ax, [(0.55, yc), (0.55, 1.95), (5.45, 1.95)], color=BLUE, lw=1.8)
    dot(ax, (0.55, yc))
    arrow(ax, (5.45, 1.95), (5.45, yc), pb=pl, color=BLUE, lw=1.8)
    text(ax, (3.0, 2.13), r"identity shortcut $\mathbf{x}$", size=10.5,
         color=BLUE)
    text(ax, (6.2, 0.38), r"$\mathrm{ReLU}(F(\mathbf{x}) + \mathbf{x})$",
         size=10.5)
    return fig


def conv_padding():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 4, size=(5, 5))
    K = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    P = np.pad(X, 1)
    Y = np.array([[np.sum(P[i:i + 3, j:j + 3] * K) for j in range(5)]
                  for i in range(5)])
    hi, hj = 1, 0
    s = 0.36
    fig, ax = new_fig(7.0, 3.3)
    x0, y0 = 0.2, 0.35

    def grid(M, ox, oy, pad=False, hl=None, hlc=BLUE, size=10):
        n = M.shape[0]
        for i in range(n):
            for j in range(n):
                border = pad and (i in (0, n - 1) or j in (0, n - 1))
                fc = LIGHT if border else "white"
                if hl is not None and (i, j) in hl:
                    fc = BLUE_FILL
                ax.add_patch(Rectangle((ox + j * s, oy + (n - 1 - i) * s), s,
                             s, fc=fc, ec=GREY, lw=0.8, zorder=2))
                v = M[i, j]
                ax.text(ox + (j + 0.5) * s, oy + (n - 1 - i + 0.5) * s,
                        f"{v}".replace("-", "\N{MINUS SIGN}"), ha="center",
                        va="center", fontsize=size,
                        color=GREY if border else INK, zorder=4)

    win = {(hi + a, hj + b) for a in range(3) for b in range(3)}
    grid(P, x0, y0, pad=True, hl=win)
    ax.add_patch(Rectangle((x0 + hj * s, y0 + (7 - 3 - hi) * s), 3 * s, 3 * s,
                 fill=False, ec=BLUE, lw=2.2, zorder=5))
    text(ax, (x0 + 3.5 * s, y0 + 7 * s + 0.22),
         "input 5×5, zero padding 1", size=10)
    kx = 3.35
    ky = y0 + 2 * s
    text(ax, (kx - 0.32, ky + 1.5 * s), r"$\ast$", size=16)
    grid(K, kx, ky, hl={(a, b) for a in range(3) for b in range(3)})
    text(ax, (kx + 1.5 * s, ky + 3 * s + 0.22), "kernel 3×3", size=10)
    ox = 5.05
    oy = y0 + 1 * s
    text(ax, (ox - 0.32, oy + 2.5 * s), r"$=$", size=16)
    grid(Y, ox, oy, hl={(hi, hj)})
    ax.add_patch(Rectangle((ox + hj * s, oy + (4 - hi) * s), s, s,
                 fill=False, ec=BLUE, lw=2.2, zorder=5))
    text(ax, (ox + 2.5 * s, oy + 5 * s + 0.22), "output 5×5", size=10)
    text(ax, (ox + 2.5 * s, oy - 0.3), r"stride 1: $(5 + 2 - 3)/1 + 1 = 5$",
         size=10)
    return fig


def encoder_decoder_attention():
    fig, ax = new_fig(7.0, 3.9)
    alpha = [0.05, 0.10, 0.60, 0.20, 0.05]
    ye, bw, bh = 0.8, 0.6, 0.42
    xs = [0.6 + 0.95 * i for i in range(5)]
    sig = circle(ax, (2.5, 2.85), 0.25, r"$\Sigma$", size=13)
    prev = None
    for i, (xc, a) in enumerate(zip(xs, alpha)):
        b = box(ax, (xc, ye), bw, bh, rf"$\mathbf{{h}}_{i + 1}$", fc=LIGHT)
        if prev is not None:
            arrow(ax, (xs[i - 1], ye), (xc, ye), pa=prev, pb=b)
        text(ax, (xc, 0.17), rf"$x_{i + 1}$")
        arrow(ax, (xc, 0.3), (xc, ye), pb=b)
        arrow(ax, (xc, ye), (2.5, 2.85), pa=b, pb=sig, color=BLUE,
              lw=0.6 + 6 * a)
        fx = xc + 0.3 * (2.5 - xc) / 2.05
        text(ax, (fx + 0.2 if xc > 2.5 else fx - 0.2, 1.45),
             rf"${a:.2f}$", size=10, color=BLUE)
        prev = b
    text(ax, (xs[0] - 0.05, 1.45 + 0.32), r"$\alpha_i$", size=11,
         color=BLUE)
    text(ax, (xs[-1] + 0.55, ye), "encoder", size=10, color=GREY,
         ha="left")
    # decoder step
    dec = box(ax, (5.95, 2.85), 0.7, 0.46, r"$\mathbf{s}$", fc=BLUE_FILL,
              ec=BLUE, size=12)
    arrow(ax, (2.5, 2.85), (5.95, 2.85), pa=sig, pb=dec, lw=1.4)
    text(ax, (4.15, 3.08), r"context $\mathbf{c} = \sum_i \alpha_i"
         r"\mathbf{h}_i$", size=10.5)
    arrow(ax, (5.95, 2.85), (5.95, 3.7), pa=dec)
    text(ax, (6.12, 3.55), r"$y_t$", ha="left")
    text(ax, (5.72, 2.42), "decoder step", size=10, color=GREY,
         ha="left")
    box(ax, (5.95, 1.55), 1.5, 0.5, "", size=10)
    text(ax, (5.95, 1.66), r"$e_i = \mathrm{score}(\mathbf{s},"
         r"\mathbf{h}_i)$", size=10)
    text(ax, (5.95, 1.42), r"$\boldsymbol{\alpha} = \mathrm{softmax}"
         r"(\mathbf{e})$", size=10)
    arrow(ax, (5.6, 2.6), (5.6, 1.8), color=GREY, ls="--")
    text(ax, (5.52, 2.2), "query", size=9, color=GREY, ha="right")
    arrow(ax, (5.2, 1.55), (4.55, 1.55), color=GREY, ls="--")
    return fig


def _mlp(ax, ox, sizes, dropped=(), w=2.9, h=2.6, oy=0.55):
    xs = [ox + w * k / (len(sizes) - 1) for k in range(len(sizes))]
    pos = []
    for k, n in enumerate(sizes):
        ys = [oy + h / 2 + 0.5 * (n - 1) / 2 - 0.5 * j for j in range(n)]
        pos.append([(xs[k], y) for y in ys])
    C = {}
    for k, col in enumerate(pos):
        for j, p in enumerate(col):
            gone = (k, j) in dropped
            fc = "white" if gone else (LIGHT if k in (0, len(sizes) - 1)
                                       else BLUE_FILL)
            C[k, j] = circle(ax, p, 0.15, fc=fc, ec=GREY if gone else INK)
            if gone:
                d = 0.13
                line(ax, [(p[0] - d, p[1] - d), (p[0] + d, p[1] + d)],
                     color=RED, lw=2.0, z=5)
                line(ax, [(p[0] - d, p[1] + d), (p[0] + d, p[1] - d)],
                     color=RED, lw=2.0, z=5)
    for k in range(len(sizes) - 1):
        for i, p in enumerate(pos[k]):
            for j, q in enumerate(pos[k + 1]):
                if (k, i) in dropped or (k + 1, j) in dropped:
                    continue
                arrow(ax, p, q, pa=C[k, i], pb=C[k + 1, j], head=False,
                      color=GREY, lw=0.8)
    return xs


def dropout_network():
    fig, ax = new_fig(7.0, 3.5)
    sizes = [3, 5, 5, 2]
    xs = _mlp(ax, 0.35, sizes)
    text(ax, ((xs[0] + xs[-1]) / 2, 3.3), "standard network", size=11)
    dropped = {(1, 1), (1, 3), (2, 0), (2, 2), (2, 3)}
    xs2 = _mlp(ax, 3.85, sizes, dropped)
    text(ax, ((xs2[0] + xs2[-1]) / 2, 3.3),
         r"after dropout, $p = 0.5$", size=11)
    for x0 in (xs, xs2):
        for k, s in enumerate([r"$\mathbf{x}$", r"$\mathbf{a}^{(1)}$",
                               r"$\mathbf{a}^{(2)}$", r"$\mathbf{s}$"]):
            text(ax, (x0[k], 0.25), s, size=11)
    line(ax, [(3.5, 0.3), (3.5, 3.1)], color=LIGHT, lw=1.0)
    return fig


def batchnorm_graph():
    fig, ax = new_fig(7.0, 3.3)
    yc, yt = 1.35, 2.55
    xn = circle(ax, (0.45, yc), 0.3, r"$\mathbf{x}_i$", size=12)
    mu = circle(ax, (1.75, yt), 0.3, r"$\boldsymbol{\mu}_B$", size=12)
    var = circle(ax, (3.05, yt), 0.3, r"$\boldsymbol{\sigma}^2_B$",
                 size=12)
    xh = circle(ax, (4.2, yc), 0.3, r"$\hat{\mathbf{x}}_i$", size=12)
    mul = circle(ax, (5.25, yc), 0.2, r"$\odot$", size=12)
    add = circle(ax, (6.1, yc), 0.2, r"$+$", size=12)
    arrow(ax, (0.45, yc), (1.75, yt), pa=xn, pb=mu)
    arrow(ax, (0.45, yc), (3.05, yt), pa=xn, pb=var)
    arrow(ax, (1.75, yt), (3.05, yt), pa=mu, pb=var)
    arrow(ax, (0.45, yc), (4.2, yc), pa=xn, pb=xh)
    arrow(ax, (1.75, yt), (4.2, yc), pa=mu, pb=xh)
    arrow(ax, (3.05, yt), (4.2, yc), pa=var, pb=xh)
    arrow(ax, (4.2, yc), (5.25, yc), pa=xh, pb=mul)
    arrow(ax, (5.25, yc), (6.1, yc), pa=mul, pb=add)
    arrow(ax, (6.1, yc), (6.75, yc), pa=add)
    text(ax, (6.82, yc), r"$\mathbf{y}_i$", size=12, ha="left")
    g = box(ax, (5.25, yt), 0.45, 0.38, r"$\boldsymbol{\gamma}$",
            fc=BLUE_FILL, ec=BLUE, size=12)
    bt = box(ax, (6.1, yt), 0.45, 0.38, r"$\boldsymbol{\beta}$",
             fc=BLUE_FILL, ec=BLUE, size=12)
    arrow(ax, (5.25, yt), (5.25, yc), pa=g, pb=mul, color=BLUE)
    arrow(ax, (6.1, yt), (6.1, yc), pa=bt, pb=add, color=BLUE)
    text(ax, (5.7, 3.1), "learned parameters", size=10, color=BLUE)
    text(ax, (1.75, 3.05), r"$\dfrac{1}{N}\sum_i \mathbf{x}_i$", size=11)
    text(ax, (3.05, 3.05),
         r"$\dfrac{1}{N}\sum_i (\mathbf{x}_i - \boldsymbol{\mu}_B)^2$",
         size=10)
    text(ax, (4.2, 0.72),
         r"$\dfrac{\mathbf{x}_i - \boldsymbol{\mu}_B}"
         r"{\sqrt{\boldsymbol{\sigma}^2_B + \epsilon}}$", size=11)
    text(ax, (5.67, 0.8), r"$\boldsymbol{\gamma}\odot\hat{\mathbf{x}}_i"
         r" + \boldsymbol{\beta}$", size=11, ha="left")
    text(ax, (0.45, 0.72), r"$i = 1, \dots, N$", size=10)
    text(ax, (1.0, 0.25), "batch statistics: every output depends on every"
         r" $\mathbf{x}_i$ of the batch", size=10, color=GREY, ha="left")
    return fig


def _stack(ax, x, yc, side, n, d=0.05, fc=BLUE_FILL):
    """n offset squares (at most 6 drawn), front square centred at x."""
    m = min(n, 6)
    for k in range(m - 1, -1, -1):
        ax.add_patch(Rectangle((x - side / 2 + k * d, yc - side / 2 + k * d),
                     side, side, fc=fc, ec=INK, lw=0.8, zorder=3))
    return x - side / 2, x + side / 2 + (m - 1) * d


def lenet5():
    fig, ax = new_fig(7.0, 2.9)
    yc = 1.6
    st = [("input", "32×32", 0.95, 1, LIGHT),
          ("C1", "6@28×28", 0.83, 6, BLUE_FILL),
          ("S2", "6@14×14", 0.42, 6, "white"),
          ("C3", "16@10×10", 0.3, 16, BLUE_FILL),
          ("S4", "16@5×5", 0.15, 16, "white")]
    xs = [0.55, 1.75, 2.9, 3.8, 4.62]
    ops = ["conv 5×5", "pool 2×2", "conv 5×5", "pool 2×2", "conv 5×5",
           "full", "full"]
    ends = []
    for (nm, sz, side, n, fc), xc in zip(st, xs):
        l, r = _stack(ax, xc, yc, side, n, fc=fc)
        ends.append((l, r))
        text(ax, (xc, 0.5), nm, size=10)
        text(ax, (xc, 0.22), sz, size=9.5)
    # fully connected layers as bars
    fcs = [("C5", "120", 5.25, 1.8), ("F6", "84", 5.9, 1.35),
           ("output", "10", 6.55, 0.6)]
    for nm, sz, xc, hgt in fcs:
        ax.add_patch(Rectangle((xc - 0.06, yc - hgt / 2), 0.12, hgt,
                     fc=BLUE_FILL if nm != "output" else LIGHT, ec=INK,
                     lw=0.8, zorder=3))
        ends.append((xc - 0.06, xc + 0.06))
        text(ax, (xc, 0.5), nm, size=10)
        text(ax, (xc, 0.22), sz, size=9.5)
    for k in range(len(ends) - 1):
        a, b = ends[k][1] + 0.04, ends[k + 1][0] - 0.04
        arrow(ax, (a, yc), (b, yc), lw=1.0)
    # operation labels above, alternating heights to avoid crowding
    centres = xs + [f[2] for f in fcs]
    for k, op in enumerate(ops):
        mx = (centres[k] + centres[k + 1]) / 2
        hy = 2.58 if k % 2 == 0 else 2.8
        text(ax, (mx, hy), op, size=10.5, color=INK)
        line(ax, [(mx, hy - 0.12), (mx, 2.42)], color=GREY, lw=0.8, z=1)
    return fig


def inception_module():
    fig, ax = new_fig(7.0, 3.6)
    bw, bh = 1.2, 0.42
    inp = box(ax, (3.5, 0.4), 6.4, bh, "previous layer", fc=LIGHT, size=10)
    cat = box(ax, (3.5, 3.2), 6.4, bh, "filter concatenation (channels)",
              fc=LIGHT, size=10)
    xs = [0.9, 2.63, 4.37, 6.1]
    top = ["1×1 conv", "3×3 conv", "5×5 conv", "1×1 conv"]
    bot = [None, "1×1 conv", "1×1 conv", "3×3 max pool"]
    for xc, t, b in zip(xs, top, bot):
        bt = box(ax, (xc, 2.15), bw, bh, t, fc=BLUE_FILL, size=10)
        arrow(ax, (xc, 2.15), (xc, 3.2), pa=bt, pb=cat)
        if b is None:
            arrow(ax, (xc, 0.4), (xc, 2.15), pa=inp, pb=bt)
        else:
            bb = box(ax, (xc, 1.3), bw, bh, b,
                     fc="white" if "pool" in b else BLUE_FILL, size=10)
            arrow(ax, (xc, 0.4), (xc, 1.3), pa=inp, pb=bb)
            arrow(ax, (xc, 1.3), (xc, 2.15), pa=bb, pb=bt)
    return fig


DIAGRAMS = {
    "neuron": neuron,
    "layer": layer,
    "computational_graph": computational_graph,
    "residual_block": residual_block,
    "conv_padding": conv_padding,
    "encoder_decoder_attention": encoder_decoder_attention,
    "dropout_network": dropout_network,
    "batchnorm_graph": batchnorm_graph,
    "lenet5": lenet5,
    "inception_module": inception_module,
}


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=here, help="output folder")
    ap.add_argument("--png", default=None, help="also write PNGs here")
    ap.add_argument("names", nargs="*", help="diagrams to draw (all)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name in args.names or DIAGRAMS:
        fig = DIAGRAMS[name]()
        fig.savefig(os.path.join(args.out, name + ".svg"), format="svg",
                    metadata={"Date": None})
        if args.png:
            fig.savefig(os.path.join(args.png, name + ".png"), dpi=110)
        plt.close(fig)


if __name__ == "__main__":
    main()
