"""One recurrent layer in one direction as a single graph node: RNN (tanh/relu), GRU, LSTM.

Forward projects the whole input sequence with one matmul, then steps through time with one
small matmul per step. Backward walks the steps in reverse, gathering every step's gate
gradients, and then forms the weight and input gradients with one matmul each.
The layer's outputs (the per-step hidden states, and for LSTM the last cell state) leave the node
as one flat array; the caller takes views of it, so autograd sees a single node per layer.
"""
from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from ..backend import capture_blas as _cb
from ._common import edge, get_xp, save_check, wrap, wrap_grad

# sigmoid(x) = 0.5 * tanh(0.5 x) + 0.5: one tanh covers every gate, and nothing overflows.


def _gate_scales(xp, dtype, H, kinds):
    """Per-column scale and shift so that tanh(g * s) * s + b applies sigmoid or tanh per gate."""
    s = xp.concatenate([xp.full(H, 0.5 if k == "s" else 1.0, dtype=dtype) for k in kinds])
    b = xp.concatenate([xp.full(H, 0.5 if k == "s" else 0.0, dtype=dtype) for k in kinds])
    return s, b


def _prev_states(hs, h0, reverse):
    """The hidden state each step started from, in time order."""
    xp = get_xp(hs)
    if reverse:
        return xp.concatenate([hs[1:], h0[None]], axis=0)
    return xp.concatenate([h0[None], hs[:-1]], axis=0)


class RnnLayerBackward0(Node):
    __slots__ = ("mode", "reverse", "x", "h0", "c0", "w_ih", "w_hh", "w_hr", "hs", "acts", "cs", "tcs", "hpre",
                 "extra", "has_bias", "b_ih", "b_hh")
    saves = ("x", "h0", "c0", "w_ih", "w_hh", "w_hr", "hs", "acts", "cs", "tcs", "hpre", "extra", "b_ih", "b_hh")

    def backward_graph(self, G):
        # The fused steps have no differentiable form: rebuild the layer from its cell ops and
        # differentiate that graph instead.
        from ..autograd.higher_order import grad_by_recompute

        mode, reverse = self.mode, self.reverse
        arrays = (self.x, self.h0, self.c0, self.w_ih, self.w_hh, self.b_ih, self.b_hh, self.w_hr)
        return grad_by_recompute(self, lambda *ins: layer_from_cells(mode, reverse, *ins), arrays, G)

    def backward(self, G):
        xp = get_xp(G)
        mode, reverse = self.mode, self.reverse
        hs, x, w_ih, w_hh = self.hs, self.x, self.w_ih, self.w_hh
        T, B, Hout = hs.shape
        I = x.shape[2]
        nout = T * B * Hout
        gout = G[:nout].reshape(T, B, Hout)
        order = range(T - 1, -1, -1) if reverse else range(T)
        steps = list(order)[::-1]
        dh_next = xp.zeros((B, Hout), dtype=G.dtype)
        gh_w = None  # gradient of the hidden-to-hidden pre-activations, per step
        w_hr = self.w_hr
        dhs = None
        if mode == "LSTM":
            H = self.cs.shape[2]
            dc_next = G[nout:].reshape(B, H).copy()
            acts, cs, tcs = self.acts, self.cs, self.tcs
            dG = xp.empty((T, B, 4 * H), dtype=G.dtype)
            if w_hr is not None:
                dhs = xp.empty((T, B, Hout), dtype=G.dtype)
            c0 = self.c0
            for k, t in enumerate(steps):
                dh = gout[t] + dh_next
                if w_hr is not None:
                    dhs[t] = dh
                    dh = _cb.product(dh, w_hr)
                a = acts[t]
                i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
                tc = tcs[t]
                cp = cs[steps[k + 1]] if k + 1 < T else c0
                dc = dh * o
                dc *= 1 - tc * tc
                dc += dc_next
                d = dG[t]
                xp.multiply(dh * tc, o * (1 - o), out=d[:, 3 * H:])
                xp.multiply(dc * g, i * (1 - i), out=d[:, :H])
                xp.multiply(dc * cp, f * (1 - f), out=d[:, H:2 * H])
                xp.multiply(dc * i, 1 - g * g, out=d[:, 2 * H:3 * H])
                dc_next = dc * f
                dh_next = _cb.product(d, w_hh)
            dgi = gh_w = dG
            dc0 = dc_next
        elif mode == "GRU":
            H = Hout
            rz, n_all, ghn_all = self.acts, self.cs, self.tcs
            dgi = xp.empty((T, B, 3 * H), dtype=G.dtype)
            dgh = xp.empty((T, B, 3 * H), dtype=G.dtype)
            h0 = self.h0
            for k, t in enumerate(steps):
                dh = gout[t] + dh_next
                r, z = rz[t][:, :H], rz[t][:, H:]
                n = n_all[t]
                hp = hs[steps[k + 1]] if k + 1 < T else h0
                dnp = dh * (1 - z)
                dnp *= 1 - n * n
                di, dhh = dgi[t], dgh[t]
                di[:, 2 * H:] = dnp
                xp.multiply(dnp, r, out=dhh[:, 2 * H:])
                xp.multiply(dnp * ghn_all[t], r * (1 - r), out=di[:, :H])
                xp.multiply(dh * (hp - n), z * (1 - z), out=di[:, H:2 * H])
                dhh[:, :2 * H] = di[:, :2 * H]
                dh_next = dh * z
                dh_next += _cb.product(dhh, w_hh)
            gh_w = dgh
            dc0 = None
        else:
            relu = mode == "RNN_RELU"
            dgi = xp.empty((T, B, Hout), dtype=G.dtype)
            for t in steps:
                dh = gout[t] + dh_next
                h = hs[t]
                if relu:
                    xp.multiply(dh, h > 0, out=dgi[t])
                else:
                    xp.multiply(dh, 1 - h * h, out=dgi[t])
                dh_next = _cb.product(dgi[t], w_hh)
            gh_w = dgi
            dc0 = None
        nx, nh0, nc0, nwi, nwh, nbi, nbh, nwr = self.next
        dx = dwi = dwh = dbi = dbh = dwr = None
        flat_gi = dgi.reshape(T * B, -1)
        if nx is not None:
            dx = _cb.product(flat_gi, w_ih).reshape(T, B, I)
        if nwi is not None:
            dwi = _cb.product(flat_gi.T, x.reshape(T * B, I))
        if nwh is not None:
            prev = _prev_states(hs, self.h0, reverse).reshape(T * B, Hout)
            dwh = _cb.product(gh_w.reshape(T * B, -1).T, prev)
        if nbi is not None:
            dbi = flat_gi.sum(axis=0)
        if nbh is not None:
            dbh = gh_w.reshape(T * B, -1).sum(axis=0)
        if nwr is not None:
            dwr = _cb.product(dhs.reshape(T * B, Hout).T, self.hpre.reshape(T * B, -1))
        return (dx, dh_next if nh0 is not None else None, dc0 if nc0 is not None else None, dwi, dwh, dbi, dbh,
                dwr)


def layer_from_cells(mode, reverse, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
    """rnn_layer's output built step by step from differentiable Tensor ops."""
    from .shape import cat, stack

    T = x.shape[0]
    gi = x @ w_ih.t()
    if b_ih is not None:
        gi = gi + b_ih
    wt = w_hh.t()
    h, c = h0, c0
    hs = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        gh = h @ wt
        if b_hh is not None:
            gh = gh + b_hh
        if mode == "LSTM":
            H = c.shape[1]
            a = gi[t] + gh
            i, f, o = a[:, :H].sigmoid(), a[:, H:2 * H].sigmoid(), a[:, 3 * H:].sigmoid()
            c = f * c + i * a[:, 2 * H:3 * H].tanh()
            h = o * c.tanh()
            if w_hr is not None:
                h = h @ w_hr.t()
        elif mode == "GRU":
            H = h.shape[1]
            g = gi[t]
            r = (g[:, :H] + gh[:, :H]).sigmoid()
            z = (g[:, H:2 * H] + gh[:, H:2 * H]).sigmoid()
            n = (g[:, 2 * H:] + r * gh[:, 2 * H:]).tanh()
            h = (h - n) * z + n
        else:
            a = gi[t] + gh
            h = a.relu() if mode == "RNN_RELU" else a.tanh()
        hs[t] = h
    out = stack(hs, 0).reshape(-1)
    return out if mode != "LSTM" else cat([out, c.reshape(-1)])


def rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr=None, reverse=False):
    """Run one layer over x (T, B, I) from h0 (B, Hout) [and c0 (B, H)].

    Returns a flat tensor: the hidden states (T, B, Hout) in time order, then for LSTM the last
    cell state (B, H).
    """
    xd, h0d, wi, wh = x._data, h0._data, w_ih._data, w_hh._data
    xp = get_xp(xd)
    T, B, I = xd.shape
    Hout = h0d.shape[1]
    dt = xd.dtype
    gi = _cb.product(xd.reshape(T * B, I), wi.T).reshape(T, B, -1)
    if b_ih is not None:
        gi += b_ih._data
    bh = b_hh._data if b_hh is not None else None
    if bh is not None and mode != "GRU":
        gi += bh
    whT = xp.ascontiguousarray(wh.T)
    hs = xp.empty((T, B, Hout), dtype=dt)
    order = range(T - 1, -1, -1) if reverse else range(T)
    h = h0d
    acts = cs = tcs = hpre = None
    c_last = None
    if mode == "LSTM":
        H = wh.shape[0] // 4
        s, b = _gate_scales(xp, dt, H, "ssts")
        acts = xp.empty((T, B, 4 * H), dtype=dt)
        cs = xp.empty((T, B, H), dtype=dt)
        tcs = xp.empty((T, B, H), dtype=dt)
        wr = w_hr._data if w_hr is not None else None
        wrT = xp.ascontiguousarray(wr.T) if wr is not None else None
        if wr is not None:
            hpre = xp.empty((T, B, H), dtype=dt)
        c = c0._data
        for t in order:
            a = acts[t]
            _cb.product(h, whT, out=a)
            a += gi[t]
            a *= s
            xp.tanh(a, out=a)
            a *= s
            a += b
            cn = cs[t]
            xp.multiply(a[:, H:2 * H], c, out=cn)
            cn += a[:, :H] * a[:, 2 * H:3 * H]
            xp.tanh(cn, out=tcs[t])
            if wr is not None:
                xp.multiply(a[:, 3 * H:], tcs[t], out=hpre[t])
                _cb.product(hpre[t], wrT, out=hs[t])
            else:
                xp.multiply(a[:, 3 * H:], tcs[t], out=hs[t])
            h, c = hs[t], cn
        c_last = c
    elif mode == "GRU":
        H = Hout
        acts = xp.empty((T, B, 2 * H), dtype=dt)  # r, z
        cs = xp.empty((T, B, H), dtype=dt)  # n
        tcs = xp.empty((T, B, H), dtype=dt)  # W_hn h + b_hn
        for t in order:
            gh = _cb.product(h, whT)
            if bh is not None:
                gh += bh
            rz = acts[t]
            xp.add(gi[t][:, :2 * H], gh[:, :2 * H], out=rz)
            rz *= 0.5
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            tcs[t] = gh[:, 2 * H:]
            n = cs[t]
            xp.multiply(rz[:, :H], gh[:, 2 * H:], out=n)
            n += gi[t][:, 2 * H:]
            xp.tanh(n, out=n)
            hn = hs[t]
            xp.subtract(h, n, out=hn)
            hn *= rz[:, H:]
            hn += n
            h = hn
    else:
        relu = mode == "RNN_RELU"
        for t in order:
            hn = hs[t]
            _cb.product(h, whT, out=hn)
            hn += gi[t]
            if relu:
                xp.maximum(hn, 0, out=hn)
            else:
                xp.tanh(hn, out=hn)
            h = hn
    out = hs.reshape(-1) if c_last is None else xp.concatenate([hs.reshape(-1), c_last.reshape(-1)])
    inputs = (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
    if _grad_state.enabled and any(t is not None and t._rg for t in inputs):
        node = RnnLayerBackward0(tuple(edge(t) if t is not None else None for t in inputs))
        node.mode, node.reverse = mode, reverse
        node.x, node.h0, node.w_ih, node.w_hh, node.hs = xd, h0d, wi, wh, hs
        node.c0 = c0._data if c0 is not None else None
        node.w_hr = w_hr._data if w_hr is not None else None
        node.acts, node.cs, node.tcs, node.hpre = acts, cs, tcs, hpre
        node.b_ih = b_ih._data if b_ih is not None else None
        node.b_hh = bh
        save_check(node, *((t, t._data) for t in inputs if t is not None))
        return wrap_grad(out, x._device, node)
    return wrap(out, x._device)
