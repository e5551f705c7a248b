"""Iterated tabu search for the grouping problem, with numpy-vectorised move evaluation.

The state keeps, for every unit u and group g, S[u, g] = sum of the scores between u and the members of g.
Then relocating u from g to h changes the total by S[u, h] - S[u, g], and swapping u (in g) with v (in h) by
S[u, h] - S[u, g] + S[v, g] - S[v, h] - 2 D[u, v]: one numpy expression evaluates the whole neighbourhood
(U x G relocations, U x U swaps), and a move updates two columns of S. Beyond FULL_UNITS units each step
evaluates the moves of a random sample of units (against everyone), so that a step costs about the same at
any size; the first solution is then built greedily (see `greedy_assignment`), as it is whenever there are
rules to respect.

The search (see `tabu_search`): walks of tabu search (best admissible move each step; a unit may not re-enter
the group it just left for a few moves, unless that beats the best), each walk ending after DEPTH_PER_UNIT x U
moves without improvement; the next walk starts from the chain's best solution, perturbed by random moves,
more of them after every walk that found nothing better (variable neighbourhood search's shaking); with size
ranges, half of the perturbations start by shifting several people from one group to another at once
(good solutions sit at extreme sizes, which single moves cannot cross). A chain that has not improved for
STALL_PER_UNIT x U moves is replaced by a new one from a random start: on the benchmark instances this took
the share of runs reaching the best known value from about half to seven in eight.

Rules "when feasible" (labels, slots) and the forbidden pairs are penalties, lexicographically above the score
(each penalty point costs more than any possible change of score; a forbidden pair costs more than all soft
points together). Sizes, pins and together pairs are never broken by a move. Slots: each group carries a chosen
slot, people not available at it cost a point each, and after every move the touched groups re-choose the
slot most of their members share (the current one on ties), so that the penalty is exact.

The search is deterministic for a given seed and iteration budget; a time limit stops it wherever the clock
says, so only an iteration budget gives the same answer on a loaded machine.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .model import Compiled

NEG = -np.inf
# Up to this many units every swap is evaluated at each step (U x U); beyond, a random sample of units is,
# against everyone (about FULL_UNITS^2 pairs a step), so that a step costs the same at any size and no U x U
# working matrix is kept (a few thousand people would need gigabytes).
FULL_UNITS = 300
# Share of the perturbations of problems with size ranges that start with a shift (see TabuSearch.shift).
SHIFT_RATE = 0.5


@dataclass
class SearchResult:
    """The best assignment (unit -> group) the search found, its penalty and objective, and effort spent."""

    assign: np.ndarray
    penalty: int
    value: float
    iterations: int


def _pairs(count):
    """Pairs in a group of count people (works on arrays)."""
    return count * (count - 1) // 2


def _group_sums(M: np.ndarray, assign: np.ndarray, G: int) -> np.ndarray:
    """U x G: M[u, members of g] summed, i.e. M @ onehot(assign), without the U x U x G product when large."""
    U = len(assign)
    if U * U * G <= 4_000_000:
        onehot = np.zeros((U, G))
        onehot[np.arange(U), assign] = 1.0
        return M @ onehot
    out = np.zeros((M.shape[0], G))
    order = np.argsort(assign, kind="stable")
    present, starts = np.unique(assign[order], return_index=True)
    if len(present):
        out[:, present] = np.add.reduceat(M[:, order], starts, axis=1)
    return out


def _weights(c: Compiled) -> tuple[float, float, int, np.ndarray | None]:
    """(M, tol, H, pair penalties): one penalty point outweighs any change of the objective (M), a forbidden
    pair outweighs all soft points together (H points), and the unit x unit penalty matrix (None if none)."""
    scale = float(np.abs(c.D).sum() / 2 + np.abs(c.internal).sum())
    max_pairs = c.n * (c.n - 1) / 2
    fair_span = abs(c.fairness) * max_pairs * (float(np.abs(c.D).max(initial=0.0))
                                               + float(np.abs(c.internal).max(initial=0.0)))
    M = 2.0 * (scale + fair_span) + 1.0
    tol = 1e-9 * max(1.0, scale + fair_span)
    H = int(c.label_pairs.sum() // 2) + c.n + 1
    pair_pen = None
    if c.forbid.any() or c.label_pairs.any():
        pair_pen = H * c.forbid.astype(np.int64) + c.label_pairs
    return M, tol, H, pair_pen


def greedy_assignment(c: Compiled, rng: np.random.Generator) -> np.ndarray | None:
    """Units in random order (heaviest first), each into the group where it adds the fewest penalty points,
    then the most score, keeping every lower size reachable; None when the sizes defeat it."""
    U, G = len(c.units), c.groups
    M, _, _, pair_pen = _weights(c)
    assign = np.full(U, -1, dtype=np.int64)
    count = np.zeros(G, dtype=np.int64)
    gain = np.zeros((U, G))
    points = np.zeros((U, G)) if pair_pen is not None else None
    slots = np.zeros((G, len(c.slot_names)), dtype=np.int64) if c.slot_names else None

    def place(u: int, g: int) -> None:
        """Put unit u in group g and update the sums."""
        assign[u] = g
        count[g] += c.weight[u]
        gain[:, g] += c.D[:, u]
        if points is not None:
            points[:, g] += pair_pen[:, u]
        if slots is not None:
            slots[g] += c.avail[u]

    for u in np.flatnonzero(c.pin >= 0):
        place(int(u), int(c.pin[u]))
    free = np.flatnonzero(c.pin < 0)
    free = free[rng.permutation(len(free))]
    free = free[np.argsort(-c.weight[free], kind="stable")]
    remaining = int(c.weight[free].sum())
    for u in free:
        w = int(c.weight[u])
        remaining -= w
        short = np.maximum(0, c.lo - count)
        fill = np.minimum(w, short)
        ok = (count + w <= c.hi) & (short.sum() - fill <= remaining)
        if not ok.any():
            return None
        cost = points[u].copy() if points is not None else np.zeros(G)
        if slots is not None:
            before = np.where(count > 0, count - slots.max(axis=1), 0)
            cost += (count + w - (slots + c.avail[u]).max(axis=1)) - before
        value = np.where(ok, gain[u] - M * cost, NEG)
        top = np.flatnonzero(value >= value.max() - 1e-9 * max(1.0, abs(value.max())))
        place(int(u), int(top[rng.integers(len(top))]))
    return assign if (count >= c.lo).all() else None


def random_assignment(c: Compiled, rng: np.random.Generator, tries: int = 50) -> np.ndarray | None:
    """A random unit -> group array that respects sizes and pins (penalties ignored), or None if not found."""
    G = c.groups
    for _ in range(tries):
        assign = np.where(c.pin >= 0, c.pin, -1)
        count = np.zeros(G, dtype=np.int64)
        np.add.at(count, c.pin[c.pin >= 0], c.weight[c.pin >= 0])
        free = np.flatnonzero(c.pin < 0)
        free = free[rng.permutation(len(free))]
        # Heavy units first: they are the ones that may not fit later.
        free = free[np.argsort(-c.weight[free], kind="stable")]
        ok = True
        for u in free:
            w = c.weight[u]
            room = np.flatnonzero(count + w <= c.hi)
            if not len(room):
                ok = False
                break
            short = room[count[room] < c.lo[room]]
            pool = short if len(short) else room
            # Filling the groups furthest below their lower size first keeps every lower size reachable.
            need = (c.lo[pool] - count[pool]).astype(np.float64)
            top = pool[need >= need.max()]
            g = int(top[rng.integers(len(top))])
            assign[u] = g
            count[g] += w
        if ok and (count >= c.lo).all():
            return assign
    return None


class TabuSearch:
    """Iterated tabu search over relocate and swap moves of units; see the module docstring."""

    def __init__(self, c: Compiled, assign: np.ndarray, rng: np.random.Generator):
        self.c = c
        self.rng = rng
        U, G = len(c.units), c.groups
        self.U, self.G = U, G
        self.ar = np.arange(U)
        self.w = c.weight.astype(np.int64)
        self.unit_weights = bool((self.w == 1).all())
        self.D = c.D
        self.f = c.fairness
        self.M, self.tol, self.H, pair_pen = _weights(c)
        self.has_pair_pen = pair_pen is not None
        self.has_slots = bool(c.slot_names)
        self.penalised = self.has_pair_pen or self.has_slots
        self.Pp = pair_pen.astype(np.float64) if pair_pen is not None else None
        self.full = U <= FULL_UNITS
        self.sample = max(16, FULL_UNITS ** 2 // max(U, 1))
        if self.full:
            self.DD2 = 2.0 * (self.D - self.M * self.Pp) if self.has_pair_pen else 2.0 * self.D
        self.can_relocate = bool((c.lo < c.hi).any()) or not self.unit_weights
        self.pinned = c.pin >= 0
        self.shift_rate = SHIFT_RATE
        self.plain = not self.penalised and not self.f and self.unit_weights
        self.dw = (self.w[None, :] - self.w[:, None]) if not self.unit_weights and self.full else None
        self.load(assign)

    # -- state ---------------------------------------------------------------------------------------
    def load(self, assign: np.ndarray) -> None:
        """Set the current assignment and rebuild every incremental structure from it."""
        c, G = self.c, self.G
        self.a = assign.astype(np.int64).copy()
        self.S = _group_sums(self.D, self.a, G)
        self.cnt = np.bincount(self.a, weights=self.w, minlength=G).astype(np.int64)
        self.GS = np.bincount(self.a, weights=c.internal, minlength=G) + 0.5 * np.bincount(
            self.a, weights=self.S[self.ar, self.a], minlength=G)
        self.total = float(self.GS.sum())
        if self.full:
            # Pairs in the same group get -inf so that a swap inside one group is never chosen.
            self.mask = np.where(self.a[:, None] == self.a[None, :], NEG, 0.0)
            self.mask[self.pinned, :] = NEG
            self.mask[:, self.pinned] = NEG
        if self.has_pair_pen:
            self.PS = _group_sums(self.Pp, self.a, G)
            self.pair_pen = round(0.5 * float(self.PS[self.ar, self.a].sum()))
        else:
            self.PS = None
            self.pair_pen = 0
        if self.has_slots:
            self.AC = np.zeros((G, len(c.slot_names)), dtype=np.int64)
            np.add.at(self.AC, self.a, c.avail)
            self.t = np.argmax(self.AC, axis=1)
            self.miss = self.w[:, None] - c.avail[:, self.t]
            self.slot_pen = self.cnt - self.AC[np.arange(G), self.t]
        else:
            self.miss = None
            self.slot_pen = np.zeros(G, dtype=np.int64)
        self.value = self._value()

    def penalty(self) -> int:
        """Current penalty points (forbidden pairs weigh H each)."""
        return int(self.pair_pen + self.slot_pen.sum())

    def _fair(self, GS: np.ndarray, cnt: np.ndarray) -> float:
        """The fairness term f * P * worst of given group scores and sizes."""
        if not self.f:
            return 0.0
        pairs = _pairs(cnt)
        has = pairs > 0
        if not has.any():
            return 0.0
        return self.f * float(pairs.sum()) * float((GS[has] / pairs[has]).min())

    def _value(self) -> float:
        """Objective minus M per penalty point."""
        return self.total + self._fair(self.GS, self.cnt) - self.M * self.penalty()

    def _effective(self) -> np.ndarray:
        """S with the penalties folded in (per unit and group), what move deltas are read from."""
        if not self.penalised:
            return self.S
        E = self.S.copy()
        if self.PS is not None:
            E -= self.M * self.PS
        if self.miss is not None:
            E -= self.M * self.miss
        return E

    # -- fairness deltas ---------------------------------------------------------------------------------
    def _min_excluding(self, means: np.ndarray) -> np.ndarray:
        """G x G: the smallest mean over groups other than g and h."""
        G = self.G
        order = np.argsort(means, kind="stable")[:3]
        out = np.full((G, G), np.inf)
        gg, hh = np.meshgrid(np.arange(G), np.arange(G), indexing="ij")
        for k in order[::-1]:
            out = np.where((gg != k) & (hh != k), means[k], out)
        return out

    def _fair_delta(self, g, h, new_g, new_h, cg, ch) -> np.ndarray:
        """Change of the fairness term when groups g, h get scores new_g, new_h and sizes cg, ch (arrays)."""
        pairs = _pairs(self.cnt)
        with np.errstate(divide="ignore", invalid="ignore"):
            means = np.where(pairs > 0, self.GS / np.maximum(pairs, 1), np.inf)
            excl = self._min_excluding(means)[g, h]
            pg, ph = _pairs(cg), _pairs(ch)
            mg = np.where(pg > 0, new_g / np.maximum(pg, 1), np.inf)
            mh = np.where(ph > 0, new_h / np.maximum(ph, 1), np.inf)
        worst = np.minimum(excl, np.minimum(mg, mh))
        total_pairs = pairs.sum() - pairs[g] - pairs[h] + pg + ph
        new = np.where(np.isfinite(worst), self.f * total_pairs * np.where(np.isfinite(worst), worst, 0.0), 0.0)
        return new - self._fair(self.GS, self.cnt)

    def _fair_swap(self, rows: np.ndarray | None) -> np.ndarray:
        """Change of the fairness term f * P * worst for every swap of a unit of `rows` (all if None) with any.

        After swapping u (in g) and v (in h), h's score is GS[h] - S[v, h] - I[v] + S[u, h] - D[u, v] + I[u]
        and g's is the same expression with u and v exchanged: with every row, one matrix and its transpose.
        """
        a, I = self.a, self.c.internal
        pairs = _pairs(self.cnt)
        with np.errstate(divide="ignore", invalid="ignore"):
            means = np.where(pairs > 0, self.GS / np.maximum(pairs, 1), np.inf)
        current = self._fair(self.GS, self.cnt)
        base = self.GS[a] - self.S[self.ar, a] - I
        idx = self.ar if rows is None else rows
        Wh = self.S[idx][:, a]
        Wh -= self.D[idx]
        Wh += base[None, :]
        Wh += I[idx][:, None]
        if rows is None:
            Wg = Wh.T
        else:
            Wg = self.S[:, a[rows]] - self.D[:, rows] + base[rows][None, :] + I[:, None]
            Wg = Wg.T
        excl = self._min_excluding(means)[a[idx]][:, a]
        if self.unit_weights:
            P = float(pairs.sum())
            if P == 0:
                return np.zeros(Wh.shape)
            inv = np.where(pairs > 0, 1.0 / np.maximum(pairs, 1), 0.0)
            empty = np.where(pairs > 0, 0.0, np.inf)
            mh = Wh * inv[a][None, :] + empty[a][None, :]
            mg = Wg * inv[a[idx]][:, None] + empty[a[idx]][:, None]
            new = np.minimum(mh, mg)
            np.minimum(new, excl, out=new)
            new *= self.f * P
            new -= current
            return new
        size_h = self.cnt[a][None, :] - self.w[None, :] + self.w[idx][:, None]
        size_g = self.cnt[a[idx]][:, None] - self.w[idx][:, None] + self.w[None, :]
        ph, pg = _pairs(size_h), _pairs(size_g)
        with np.errstate(divide="ignore", invalid="ignore"):
            mh = np.where(ph > 0, Wh / np.maximum(ph, 1), np.inf)
            mg = np.where(pg > 0, Wg / np.maximum(pg, 1), np.inf)
        worst = np.minimum(np.minimum(mh, mg), excl)
        P = pairs.sum() - pairs[a[idx]][:, None] - pairs[a][None, :] + pg + ph
        new = np.where(np.isfinite(worst), self.f * P * np.where(np.isfinite(worst), worst, 0.0), 0.0)
        return new - current

    # -- neighbourhoods ------------------------------------------------------------------------------------
    def relocate_deltas(self, E: np.ndarray, own: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """(rows or U) x G: change of the value when unit u moves to group h (-inf when not allowed)."""
        c = self.c
        idx = self.ar if rows is None else rows
        a = self.a[idx]
        w = self.w[idx]
        R = E[idx] - own[idx][:, None]
        if self.unit_weights:
            R[self.cnt[a] <= c.lo[a], :] = NEG
            R[:, self.cnt >= c.hi] = NEG
        else:
            R[self.cnt[a] - w < c.lo[a], :] = NEG
            R[self.cnt[None, :] + w[:, None] > c.hi[None, :]] = NEG
        R[np.arange(len(idx)), a] = NEG
        R[self.pinned[idx], :] = NEG
        if self.f:
            h = np.arange(self.G)[None, :]
            g = a[:, None]
            new_g = self.GS[g] - self.S[idx, a][:, None] - c.internal[idx][:, None]
            new_h = self.GS[h] + self.S[idx] + c.internal[idx][:, None]
            cg = self.cnt[g] - w[:, None]
            ch = self.cnt[h] + w[:, None]
            R = R + self._fair_delta(np.broadcast_to(g, R.shape), np.broadcast_to(h, R.shape), new_g, new_h, cg, ch)
        return R

    def swap_deltas(self, E: np.ndarray, own: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """(rows or U) x U: change of the value when units u and v trade groups (-inf when not allowed)."""
        a = self.a
        if rows is None:
            X = E[:, a]
            X -= own[:, None]
            V = X + X.T
            V -= self.DD2
            V += self.mask
            dw = self.dw
        else:
            V = E[rows][:, a]
            V -= own[rows][:, None]
            Z = E[:, a[rows]]
            Z -= own[:, None]
            V += Z.T
            V -= 2.0 * self.D[rows]
            if self.Pp is not None:
                V += (2.0 * self.M) * self.Pp[rows]
            V[a[rows][:, None] == a[None, :]] = NEG
            V[:, self.pinned] = NEG
            V[self.pinned[rows], :] = NEG
            dw = None if self.unit_weights else self.w[None, :] - self.w[rows][:, None]
        if not self.unit_weights:
            c = self.c
            ag = a[:, None] if rows is None else a[rows][:, None]
            ah = a[None, :]
            cg = self.cnt[ag] + dw
            ch = self.cnt[ah] - dw
            bad = (cg < c.lo[ag]) | (cg > c.hi[ag]) | (ch < c.lo[ah]) | (ch > c.hi[ah])
            V[bad] = NEG
        if self.f:
            V += self._fair_swap(rows)
        return V

    # -- moves -----------------------------------------------------------------------------------------
    def _update_slots(self, groups) -> None:
        """Re-choose the slot of the touched groups (keeping the current one on ties)."""
        c = self.c
        for g in groups:
            row = self.AC[g]
            best = row.max()
            if row[self.t[g]] < best:
                self.t[g] = int(np.argmax(row))
                self.miss[:, g] = self.w - c.avail[:, self.t[g]]
            self.slot_pen[g] = self.cnt[g] - row[self.t[g]]

    def _set_mask(self, u: int) -> None:
        """Refresh the same-group mask of unit u after it moved."""
        if self.pinned[u] or not self.full:
            return
        row = np.where(self.a == self.a[u], NEG, 0.0)
        row[self.pinned] = NEG
        self.mask[u, :] = row
        self.mask[:, u] = row

    def _move(self, u: int, h: int) -> None:
        """Move unit u to group h, updating everything but the slots and the value."""
        c = self.c
        g = int(self.a[u])
        du = self.D[:, u]
        self.total += self.S[u, h] - self.S[u, g]
        self.GS[g] -= self.S[u, g] + c.internal[u]
        self.GS[h] += self.S[u, h] + c.internal[u]
        self.S[:, g] -= du
        self.S[:, h] += du
        if self.PS is not None:
            self.pair_pen += round(float(self.PS[u, h] - self.PS[u, g]))
            self.PS[:, g] -= self.Pp[:, u]
            self.PS[:, h] += self.Pp[:, u]
        self.cnt[g] -= self.w[u]
        self.cnt[h] += self.w[u]
        self.a[u] = h
        self._set_mask(u)
        if self.has_slots:
            self.AC[g] -= c.avail[u]
            self.AC[h] += c.avail[u]

    def relocate(self, u: int, h: int) -> None:
        """Move unit u to group h."""
        g = int(self.a[u])
        self._move(u, h)
        if self.has_slots:
            self._update_slots((g, h))
        self.value = self._value()

    def swap(self, u: int, v: int) -> None:
        """Trade the groups of units u and v."""
        g, h = int(self.a[u]), int(self.a[v])
        if self.plain:
            # The common case (MDGP): two column updates instead of four, nothing else to keep.
            diff = self.D[:, v] - self.D[:, u]
            Suh, Sug, Svg, Svh, Duv = self.S[u, h], self.S[u, g], self.S[v, g], self.S[v, h], self.D[u, v]
            self.GS[g] += Svg - Sug - Duv
            self.GS[h] += Suh - Svh - Duv
            self.total += Suh - Sug + Svg - Svh - 2 * Duv
            self.S[:, g] += diff
            self.S[:, h] -= diff
            self.a[u], self.a[v] = h, g
            self._set_mask(u)
            self._set_mask(v)
            self.value = self.total
            return
        self._move(u, h)
        self._move(v, g)
        if self.has_slots:
            self._update_slots((g, h))
        self.value = self._value()

    # -- the search --------------------------------------------------------------------------------------
    def _pick(self, V: np.ndarray, top: float) -> int:
        """A random index among the entries of V within tol of its maximum top (finite)."""
        ties = np.flatnonzero(V.ravel() >= top - self.tol)
        return int(ties[self.rng.integers(len(ties))]) if len(ties) > 1 else int(ties[0])

    def step(self, tabu: np.ndarray, best_value: float) -> bool:
        """Make the best admissible move; False if no move is possible.

        tabu is U x G: -inf where unit u may not enter group g yet, else 0. A tabu move is still made when it
        beats the best value found (aspiration).
        """
        E = self._effective()
        own = E[self.ar, self.a]
        rows = None if self.full else np.sort(self.rng.choice(self.U, min(self.U, self.sample), replace=False))
        V = self.swap_deltas(E, own, rows)
        R = self.relocate_deltas(E, own, rows) if self.can_relocate else None
        ms = float(V.max())
        mr = float(R.max()) if R is not None else NEG
        if max(ms, mr) <= best_value - self.value + self.tol:
            if rows is None:
                T = tabu[:, self.a]
                V += T
                V += T.T
            else:
                V += tabu[rows][:, self.a]
                V += tabu[:, self.a[rows]].T
            ms = float(V.max())
            if R is not None:
                R += tabu if rows is None else tabu[rows]
                mr = float(R.max())
        if not np.isfinite(max(ms, mr)):
            return False
        if mr > ms + self.tol or (mr >= ms - self.tol and self.rng.random() < 0.5):
            u, h = divmod(self._pick(R, mr), self.G)
            u = int(u if rows is None else rows[u])
            self.moved = ((u, int(self.a[u])),)
            self.relocate(u, h)
        else:
            u, v = divmod(self._pick(V, ms), self.U)
            u = int(u if rows is None else rows[u])
            self.moved = ((u, int(self.a[u])), (v, int(self.a[v])))
            self.swap(u, v)
        return True

    def shift(self) -> bool:
        """Move several units from one group to another, best-fitting first: a jump to other group sizes.

        With size ranges, good solutions tend to sit at extreme sizes (some groups full, others at their lower
        size), and going from one such size pattern to another one unit at a time crosses poor solutions
        that the tabu walk will not accept; this move crosses them at once.
        """
        c = self.c
        down = np.zeros(self.G, dtype=np.int64)
        up = c.hi - self.cnt
        for g in range(self.G):
            movable = (self.a == g) & ~self.pinned
            down[g] = min(int(self.cnt[g] - c.lo[g]), int(self.w[movable].sum()))
        sources = np.flatnonzero(down > 0)
        if not len(sources):
            return False
        g = int(sources[self.rng.integers(len(sources))])
        targets = np.flatnonzero((up > 0) & (np.arange(self.G) != g))
        if not len(targets):
            return False
        h = int(targets[self.rng.integers(len(targets))])
        k = int(self.rng.integers(1, min(down[g], up[h]) + 1))
        moved = 0
        while moved < k:
            E = self._effective()
            own = E[self.ar, self.a]
            gain = E[:, h] - own
            ok = (self.a == g) & ~self.pinned & (self.w <= min(k - moved, self.cnt[g] - c.lo[g], c.hi[h] - self.cnt[h]))
            if not ok.any():
                break
            gain[~ok] = NEG
            u = int(np.argmax(gain))
            self.relocate(u, h)
            moved += int(self.w[u])
        return moved > 0

    def perturb(self, strength: int) -> None:
        """Apply random feasible swaps (and relocations when sizes allow) regardless of their value."""
        c = self.c
        free = np.flatnonzero(~self.pinned)
        if len(free) < 2:
            return
        if self.can_relocate and self.rng.random() < self.shift_rate and self.shift():
            strength = max(1, strength // 2)
        for _ in range(strength):
            u = int(free[self.rng.integers(len(free))])
            if self.can_relocate and self.rng.random() < 0.3:
                g = self.a[u]
                w = self.w[u]
                ok = np.flatnonzero((self.cnt + w <= c.hi) & (np.arange(self.G) != g))
                if len(ok) and self.cnt[g] - w >= c.lo[g]:
                    self.relocate(u, int(ok[self.rng.integers(len(ok))]))
                    continue
            others = free[self.a[free] != self.a[u]]
            if not self.unit_weights:
                g = self.a[u]
                h = self.a[others]
                cg = self.cnt[g] - self.w[u] + self.w[others]
                ch = self.cnt[h] + self.w[u] - self.w[others]
                others = others[(cg >= c.lo[g]) & (cg <= c.hi[g]) & (ch >= c.lo[h]) & (ch <= c.hi[h])]
            if len(others):
                self.swap(u, int(others[self.rng.integers(len(others))]))


# Tabu tenure: a unit that left a group may not re-enter it for about movable/TENURE_DIVISOR iterations, the
# divisor drawn anew for each walk. Short tenures suited some benchmark instances and long ones others
# (see docs/performance.md), so both are used.
TENURE_DIVISORS = (6, 25)
# A walk ends after this many moves per unit without improving its own best.
DEPTH_PER_UNIT = 20
MIN_DEPTH = 200
# Perturbation strength (random moves) grows by U/20 after each walk that did not improve the best solution,
# up to U/2, then starts again from U/20: variable neighbourhood search's shaking.
STRENGTH_STEP = 20
STRENGTH_MAX = 2
# A chain (walks restarting from its own best) that has not improved for this many moves per unit gives way
# to a new chain from a random start; not when the caller gave the start (it may be the only feasible one).
STALL_PER_UNIT = 300


def _start(c: Compiled, rng: np.random.Generator) -> np.ndarray | None:
    """A starting assignment: greedy when there are rules to respect or many people (every move is dear
    there), random otherwise (plain problems: the search needs the diversity more than the head start)."""
    greedy = c.forbid.any() or c.label_pairs.any() or c.slot_names or len(c.units) > FULL_UNITS
    start = greedy_assignment(c, rng) if greedy else None
    return start if start is not None else random_assignment(c, rng)


def tabu_search(c: Compiled, seconds: float, seed: int = 0, iterations: int | None = None,
                start: np.ndarray | None = None) -> SearchResult | None:
    """Iterated tabu search from a random (or given) start; None when no start respecting sizes is found.

    Stops after `iterations` moves (deterministic for a seed) or at `seconds`, whichever comes first.
    """
    deadline = time.perf_counter() + max(0.0, seconds)
    rng = np.random.default_rng(seed)
    assign = start if start is not None else _start(c, rng)
    if assign is None:
        return None
    ts = TabuSearch(c, assign, rng)
    U, G = ts.U, ts.G
    best_a, best_v, best_p = ts.a.copy(), ts.value, ts.penalty()
    movable = int((~ts.pinned).sum())
    if movable < 2 and not ts.can_relocate:
        return SearchResult(best_a, best_p, best_v, 0)
    until = np.zeros((U, G), dtype=np.int64)
    tenure = max(1, movable // TENURE_DIVISORS[0])
    depth = max(MIN_DEPTH, DEPTH_PER_UNIT * U)
    stall = STALL_PER_UNIT * U if STALL_PER_UNIT else None
    k_step = max(2, U // STRENGTH_STEP)
    k_max = max(k_step + 1, U // STRENGTH_MAX)
    strength = k_step
    # A chain is a sequence of walks, each restarting from the chain's best; a chain that has not improved
    # for `stall` moves gives way to a new one from a random start (the overall best is kept apart).
    chain_a, chain_v, chain_since = best_a.copy(), best_v, 0
    walk_v, since, it, stuck = ts.value, 0, 0, 0
    walk_start = chain_v
    while (iterations is None or it < iterations) and (time.perf_counter() < deadline or it == 0):
        if ts.step(np.where(until > it, NEG, 0.0), chain_v):
            stuck = 0
            for u, left in ts.moved:
                until[u, left] = it + tenure + int(rng.integers(0, tenure + 2))
            since += 1
            chain_since += 1
            if ts.value > walk_v + ts.tol:
                walk_v, since = ts.value, 0
                if ts.value > chain_v + ts.tol:
                    chain_a, chain_v, chain_since = ts.a.copy(), ts.value, 0
                    if ts.value > best_v + ts.tol:
                        best_a, best_v, best_p = ts.a.copy(), ts.value, ts.penalty()
        else:
            stuck += 1
            if stuck > 2:
                break  # not a single move is allowed, even after perturbing: nothing to search
            since = depth
        it += 1
        if since >= depth:
            fresh = _start(c, rng) if stall is not None and chain_since >= stall and start is None else None
            if fresh is not None:
                chain_a = fresh
                ts.load(chain_a)
                chain_v, chain_since, strength = ts.value, 0, k_step
            else:
                # Restart the walk from the chain's best, perturbed more strongly the longer nothing improves.
                strength = k_step if chain_v > walk_start else (
                    strength + k_step if strength + k_step <= k_max else k_step)
                ts.load(chain_a)
                ts.perturb(strength)
            walk_start = chain_v
            until[...] = 0
            tenure = max(1, movable // TENURE_DIVISORS[int(rng.integers(len(TENURE_DIVISORS)))])
            walk_v, since = ts.value, 0
    return SearchResult(best_a, best_p, best_v, it)
