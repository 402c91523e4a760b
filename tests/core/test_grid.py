"""Rules of the shared grid core: maps, actions, moves, beams, egocentric views, lookups."""

import numpy as np
import pytest

from socialenvs.core import grid
from socialenvs.core.grid import EAST, NORTH, SOUTH, WEST
from socialenvs.core.rng import BatchedRNG, probability_threshold

LEGEND = {"#": 1, ".": 0, "P": 0, "A": 2}


def open_map(h=9, w=9):
    rows = ["#" * w] + ["#" + "." * (w - 2) + "#" for _ in range(h - 2)] + ["#" * w]
    return grid.parse_map(rows, LEGEND)


# ----------------------------------------------------------------------------- maps
def test_parse_map_codes_and_spawn_points():
    m = grid.parse_map(["####", "#PA#", "#.P#", "####"], LEGEND)
    assert m.shape == (4, 4)
    assert m.cells.dtype == np.uint8
    assert m.cells[1, 2] == 2 and m.cells[0, 0] == 1 and m.cells[1, 1] == 0
    np.testing.assert_array_equal(m.spawn_points, [[1, 1], [2, 2]])
    np.testing.assert_array_equal(m.where("A"), [[1, 2]])
    assert m.count("#") == 12
    # A multi-line string parses the same.
    m2 = grid.parse_map("\n####\n#PA#\n#.P#\n####\n", LEGEND)
    np.testing.assert_array_equal(m.cells, m2.cells)


def test_parse_map_errors():
    with pytest.raises(ValueError, match="equal length"):
        grid.parse_map(["###", "##"], LEGEND)
    with pytest.raises(ValueError, match=r"\['Z'\]"):
        grid.parse_map(["#Z#"], LEGEND)


# ----------------------------------------------------------------------------- actions
def test_relative_actions_follow_orientation():
    acts = grid.RELATIVE_ACTIONS
    names = ["move_forward", "move_back", "move_left", "move_right"]
    ids = np.array([[acts.index(n) for n in names]])
    # Facing east: forward = east, back = west, left = north, right = south.
    move, turn = acts.decode(ids, np.full((1, 4), EAST))
    np.testing.assert_array_equal(move, [[EAST, WEST, NORTH, SOUTH]])
    assert not turn.any()
    # Facing west: forward = west, left = south.
    move, _ = acts.decode(ids, np.full((1, 4), WEST))
    np.testing.assert_array_equal(move, [[WEST, EAST, SOUTH, NORTH]])
    # Turns: clockwise from west is north, counter-clockwise from north is west.
    cw, ccw = acts.index("turn_cw"), acts.index("turn_ccw")
    move, turn = acts.decode(np.array([[cw, ccw]]), np.array([[WEST, NORTH]]))
    assert (move == grid.NO_MOVE).all()
    np.testing.assert_array_equal(
        grid.turn_agents(np.array([[WEST, NORTH]]), turn), [[NORTH, WEST]]
    )


def test_absolute_actions_and_extra_actions():
    acts = grid.ABSOLUTE_ACTIONS.with_extra("fire", "clean")
    assert acts.n == 7 and acts.names[-2:] == ("fire", "clean")
    move, turn = acts.decode(np.array([[0, 1, 2, 3, 4, 5, 6]]), np.full((1, 7), SOUTH))
    np.testing.assert_array_equal(move, [[NORTH, EAST, SOUTH, WEST, -1, -1, -1]])
    with pytest.raises(ValueError, match="unknown action"):
        acts.index("jump")


# ----------------------------------------------------------------------------- moves
def test_moves_blocked_by_walls_and_conflicts_resolved_in_order():
    m = open_map(5, 5)
    passable = m.cells != 1
    # Agents 0 and 1 both want (2, 2): whoever moves first gets it.
    pos0 = np.array([[[2, 1], [2, 3], [1, 1]]])
    move = np.array([[EAST, WEST, NORTH]])  # agent 2 walks into the wall
    for order, winner in (([0, 1, 2], 0), ([1, 0, 2], 1)):
        pos = pos0.copy()
        occ = grid.occupancy(pos, m.shape)
        moved = grid.move_agents(pos, move, np.array([order]), passable, occ)
        assert moved[0, winner] and not moved[0, 1 - winner] and not moved[0, 2]
        np.testing.assert_array_equal(pos[0, winner], [2, 2])
        np.testing.assert_array_equal(pos[0, 2], [1, 1])
        # Occupancy follows the agents.
        assert occ[0, 2, 2] == winner and (occ >= 0).sum() == 3


def test_moves_into_vacated_cell_depend_on_order():
    m = open_map(5, 6)
    passable = m.cells != 1
    pos0 = np.array([[[2, 1], [2, 2]]])  # agent 0 behind agent 1, both move east
    move = np.array([[EAST, EAST]])
    pos = pos0.copy()
    grid.move_agents(pos, move, np.array([[1, 0]]), passable, grid.occupancy(pos, m.shape))
    np.testing.assert_array_equal(pos[0], [[2, 2], [2, 3]])  # leader first: both move
    pos = pos0.copy()
    grid.move_agents(pos, move, np.array([[0, 1]]), passable, grid.occupancy(pos, m.shape))
    np.testing.assert_array_equal(pos[0], [[2, 1], [2, 3]])  # follower first: blocked


def test_moves_on_torus_wrap_and_inactive_agents_stay():
    passable = np.ones((3, 4), dtype=bool)
    pos = np.array([[[0, 0], [2, 3]]])
    occ = grid.occupancy(pos, (3, 4))
    grid.move_agents(pos, np.array([[NORTH, EAST]]), np.array([[0, 1]]), passable, occ, wrap=True)
    # Agent 0 wrapped north to (2, 0); agent 1, wrapping east into it, is blocked.
    np.testing.assert_array_equal(pos[0], [[2, 0], [2, 3]])
    pos = np.array([[[0, 0], [2, 3]]])
    occ = grid.occupancy(pos, (3, 4))
    grid.move_agents(pos, np.array([[NORTH, EAST]]), np.array([[1, 0]]), passable, occ, wrap=True)
    np.testing.assert_array_equal(pos[0], [[0, 0], [2, 0]])  # agent 1 first; agent 0 blocked
    # Without wrap the edge blocks; inactive agents do not move.
    pos = np.array([[[0, 0], [1, 1]]])
    occ = grid.occupancy(pos, (3, 4), np.array([[True, False]]))
    assert occ[0, 1, 1] == -1
    moved = grid.move_agents(
        pos, np.array([[NORTH, EAST]]), np.array([[0, 1]]), passable, occ, np.array([[True, False]])
    )
    assert not moved.any()


def test_batched_moves_equal_one_copy_moves():
    """The batched move resolution (flat indices) and the one-copy one (Python scalars)
    apply the same rule: copy by copy, same positions, occupancy and ``moved``."""
    rng = np.random.default_rng(4)
    for trial in range(300):
        B, N = int(rng.integers(2, 6)), int(rng.integers(1, 6))
        H, W = (int(x) for x in rng.integers(2, 7, 2))
        if H * W < N:
            continue
        pos = np.stack([rng.permutation(H * W)[:N] for _ in range(B)])
        pos = np.stack([pos // W, pos % W], axis=-1).astype(np.int64)
        active = None if trial % 2 else rng.random((B, N)) < 0.7
        move = rng.integers(-1, 4, (B, N))
        order = np.argsort(rng.random((B, N)), axis=1)
        passable = rng.random((B, H, W)) < 0.8
        wrap = trial % 5 == 0
        occ = grid.occupancy(pos, (H, W), active)
        got_pos, got_occ = pos.copy(), occ.copy()
        if trial % 3 == 0:  # a non-contiguous occupancy array is updated in place too
            got_occ = np.pad(occ, ((0, 0), (0, 0), (0, 2)), constant_values=9)[..., :W]
        moved = grid.move_agents(got_pos, move, order, passable, got_occ, active, wrap)
        for b in range(B):
            one_pos, one_occ = pos[b : b + 1].copy(), np.ascontiguousarray(occ[b : b + 1])
            one_act = None if active is None else active[b : b + 1]
            one = grid.move_agents(
                one_pos, move[b : b + 1], order[b : b + 1], passable[b], one_occ, one_act, wrap
            )
            np.testing.assert_array_equal(moved[b], one[0], err_msg=f"trial {trial} copy {b}")
            np.testing.assert_array_equal(got_pos[b], one_pos[0])
            np.testing.assert_array_equal(got_occ[b], one_occ[0])


# ----------------------------------------------------------------------------- beams
def _beam_cells(res):
    b, f, r, c = res.reached_cells()
    return {(int(x), int(y)) for x, y in zip(r, c)}


def test_ssd_beam_shape_length_and_width():
    m = open_map(15, 15)
    walls = m.cells == 1
    pos = np.array([[[10, 7]]])
    occ = grid.occupancy(pos, m.shape)
    shape = grid.beam_shape(5, 3, "ssd")
    res = grid.cast_beams(pos, np.array([[NORTH]]), np.array([[True]]), shape, walls, occ)
    centre = {(10 - k, 7) for k in range(1, 6)}
    sides = {(10 - k, 7 + s) for k in range(0, 5) for s in (-1, 1)}
    assert _beam_cells(res) == centre | sides
    # Facing east, the same shape rotates.
    res = grid.cast_beams(pos, np.array([[EAST]]), np.array([[True]]), shape, walls, occ)
    assert (
        (10, 12) in _beam_cells(res) and (9, 7) in _beam_cells(res) and (9, 11) in _beam_cells(res)
    )
    assert len(_beam_cells(res)) == 15
    # Melting Pot layout: every ray covers forward 1..L.
    mp = grid.beam_shape(3, 3, "meltingpot")
    res = grid.cast_beams(pos, np.array([[NORTH]]), np.array([[True]]), mp, walls, occ)
    assert _beam_cells(res) == {(10 - k, 7 + s) for k in range(1, 4) for s in (-1, 0, 1)}
    with pytest.raises(ValueError, match="odd"):
        grid.beam_shape(5, 2)


def test_beam_blocked_by_walls_and_absorbed_by_first_agent():
    rows = [
        "#########",
        "#.......#",
        "#.......#",
        "#...#...#",
        "#.......#",
        "#.......#",
        "#.......#",
        "#########",
    ]
    m = grid.parse_map(rows, LEGEND)
    walls = m.cells == 1
    shape = grid.beam_shape(5, 3, "ssd")
    # Firer 0 at (6, 4) facing north; wall at (3, 4) on the centre ray; agent 1 at (5, 3)
    # on the left ray, agent 2 behind it at (4, 3); agent 3 at (2, 4) behind the wall.
    pos = np.array([[[6, 4], [5, 3], [4, 3], [2, 4]]])
    occ = grid.occupancy(pos, m.shape)
    firing = np.array([[True, False, False, False]])
    res = grid.cast_beams(pos, np.full((1, 4), NORTH), firing, shape, walls, occ)
    cells = _beam_cells(res)
    assert (5, 4) in cells and (4, 4) in cells and (3, 4) not in cells and (2, 4) not in cells
    assert (6, 3) in cells and (5, 3) in cells and (4, 3) not in cells  # stopped at agent 1
    assert list(zip(res.hit_firer, res.hit_target)) == [(0, 1)]
    hits = res.hit_matrix(1, 4)
    assert hits[0, 0, 1] and hits.sum() == 1
    # Right ray runs its full length 0..4 (rows 6..2) along column 5.
    assert {(r, 5) for r in range(2, 7)} <= cells
    # Off the map is opaque: a beam fired at the edge of a wall-less map stays inside.
    res = grid.cast_beams(
        np.array([[[0, 0]]]),
        np.array([[NORTH]]),
        np.array([[True]]),
        shape,
        np.zeros((3, 3), bool),
        grid.occupancy(np.array([[[0, 0]]]), (3, 3)),
    )
    assert _beam_cells(res) == {(0, 1)}


def test_beam_absorbing_cells_stop_the_ray():
    m = open_map(9, 5)
    absorb = np.zeros(m.shape, bool)
    absorb[4, 2] = absorb[2, 2] = True
    pos = np.array([[[7, 2]]])
    res = grid.cast_beams(
        pos,
        np.array([[NORTH]]),
        np.array([[True]]),
        grid.beam_shape(5, 1),
        m.cells == 1,
        grid.occupancy(pos, m.shape),
        absorb=absorb,
    )
    assert _beam_cells(res) == {(6, 2), (5, 2), (4, 2)}
    b, f, r, c = res.absorbed_cells()
    assert list(zip(r, c)) == [(4, 2)]


# ----------------------------------------------------------------------------- views
def test_centred_view_rotates_with_the_agent():
    rows = [
        "#######",
        "#..A..#",
        "#.....#",
        "#.....#",
        "#.....#",
        "#######",
    ]
    m = grid.parse_map(rows, LEGEND)
    view = grid.EgocentricView(grid.ViewSpec.centred(2), *m.shape, outside_code=9)
    pos = np.array([[[3, 3]] * 4])
    ori = np.array([[NORTH, EAST, SOUTH, WEST]])
    codes = view.gather(m.cells[None], pos, ori)
    assert codes.shape == (1, 4, 5, 5)
    # Facing north, the apple two cells ahead is at the top centre.
    assert codes[0, 0, 0, 2] == 2
    # Facing east, north is on the agent's left: the apple is in the left column.
    assert codes[0, 1, 2, 0] == 2
    # Facing south it is straight behind: bottom centre; facing west, on the right.
    assert codes[0, 2, 4, 2] == 2
    assert codes[0, 3, 2, 4] == 2
    # Every rotated view is the north view rotated by the orientation.
    north = codes[0, 0]
    for o in range(4):
        np.testing.assert_array_equal(codes[0, o], np.rot90(north, k=o))
    # Off-map cells show the outside code (the agent is 3 rows from the top edge... and
    # 2 rows from the bottom: the last row of the north view is the bottom wall).
    assert (codes[0, 0, 4] == 1).all()
    # Unrotated views ignore orientation.
    flat = grid.EgocentricView(grid.ViewSpec.centred(2, rotate=False), *m.shape, 9)
    c2 = flat.gather(m.cells[None], pos, ori)
    for o in range(4):
        np.testing.assert_array_equal(c2[0, o], north)


def test_meltingpot_view_shape_and_agents_drawn():
    m = open_map(21, 21)
    spec = grid.ViewSpec.meltingpot()
    assert spec.shape == (11, 11)
    view = grid.EgocentricView(spec, *m.shape, outside_code=9)
    pos = np.array([[[10, 10], [2, 10], [11, 10]]])
    codes = view.gather(m.cells[None], pos, np.array([[NORTH, NORTH, NORTH]]), np.array([5, 6, 7]))
    me = codes[0, 0]
    assert me[9, 5] == 5  # self: 9 rows ahead visible, 1 behind, 5 each side
    assert me[10, 5] == 7  # agent 2 right behind
    assert me[1, 5] == 6  # agent 1 eight rows ahead
    # Inactive agents are not drawn.
    codes = view.gather(
        m.cells[None],
        pos,
        np.array([[NORTH] * 3]),
        np.array([5, 6, 7]),
        np.array([[True, False, True]]),
    )
    assert codes[0, 0, 1, 5] == 0
    # Beyond the map: the outside code.
    assert codes[0, 1, 0, 5] == 9


def test_view_on_torus_wraps():
    cells = np.zeros((1, 4, 4), np.uint8)
    cells[0, 3, 0] = 2
    view = grid.EgocentricView(grid.ViewSpec.centred(1, rotate=False), 4, 4, 9, wrap=True)
    codes = view.gather(cells, np.array([[[0, 3]]]), np.array([[NORTH]]))
    assert codes[0, 0, 0, 2] == 2 and (codes != 9).all()


@pytest.mark.parametrize("wrap", [False, True])
def test_gather_into_a_reused_buffer(wrap):
    """``out=`` gives the codes a fresh gather gives, written into the caller's buffer;
    batches of different sizes share the view's internal index buffer safely."""
    rng = np.random.default_rng(0)
    view = grid.EgocentricView(grid.ViewSpec.centred(2), 6, 7, 9, wrap=wrap)
    out = np.empty((3, 2, 5, 5), np.uint8)
    for b in (3, 1, 3, 2):
        cells = rng.integers(0, 4, (b, 6, 7)).astype(np.uint8)
        pos = np.stack([rng.integers(0, 6, (b, 2)), rng.integers(0, 7, (b, 2))], axis=-1)
        ori = rng.integers(0, 4, (b, 2))
        fresh = view.gather(cells, pos, ori, np.array([5, 6]))
        if b == 3:
            got = view.gather(cells, pos, ori, np.array([5, 6]), out=out)
            assert got is out or np.shares_memory(got, out)
            np.testing.assert_array_equal(out, fresh)
    with pytest.raises(ValueError, match="out"):
        view.gather(cells, pos, ori, out=np.empty((1, 2, 5, 5), np.uint8))


# ----------------------------------------------------------------------------- lookups
@pytest.mark.parametrize("channels", [1, 3, 4, 5, 8])
def test_packed_lookups_equal_fancy_indexing(channels):
    rng = np.random.default_rng(channels)
    table = rng.integers(0, 256, (12, channels)).astype(np.uint8)
    codes = rng.integers(0, 12, (3, 2, 5, 5)).astype(np.uint8)
    np.testing.assert_array_equal(grid.rgb_lookup(codes, table), table[codes])
    np.testing.assert_array_equal(
        grid.symbolic_lookup(codes, grid.packed_table(table)), table[codes]
    )


def test_one_hot_table_and_rendering():
    table = grid.one_hot_table(np.array([-1, 0, 2, 1]), 3)
    np.testing.assert_array_equal(table, [[0, 0, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]])
    codes = np.array([[0, 1], [2, 3]], np.uint8)
    palette = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8)
    img = grid.render_rgb(codes, palette, scale=4)
    assert img.shape == (8, 8, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img[5, 1], [0, 255, 0])
    text = grid.render_ansi(codes, ".#AB", pos=np.array([[0, 0]]))
    assert text == "0#\nAB"


def test_spawn_agents_distinct_and_reproducible():
    rng = BatchedRNG(50)
    rng.seed(np.arange(50), np.arange(50))
    rng.new_episode(np.arange(50))
    sp = np.argwhere(np.ones((3, 3), bool))
    pos, ori = grid.spawn_agents(rng, np.arange(50), sp, 5)
    assert pos.shape == (50, 5, 2) and ori.shape == (50, 5)
    flat = pos[..., 0] * 3 + pos[..., 1]
    assert all(len(set(row)) == 5 for row in flat)
    assert set(np.unique(ori)) == {0, 1, 2, 3}


# ----------------------------------------------------------------------------- rng helpers
def test_rng_below_and_bits_at_match_the_dense_draws():
    a, b, c = BatchedRNG(6), BatchedRNG(6), BatchedRNG(6)
    for r in (a, b, c):
        r.seed(np.arange(6), 100 + np.arange(6))
        r.new_episode(np.arange(6))
    p = np.array([0.0, 1e-9, 0.005, 0.3, 0.999, 1.0])
    for _ in range(50):
        dense = a.uniform((6,))
        np.testing.assert_array_equal(dense < p, b.below(probability_threshold(p), (6,)))
        env, el = np.array([0, 2, 2, 5]), np.array([5, 0, 3, 1])
        bits = c.bits_at(env, el)
        np.testing.assert_array_equal(
            (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53, dense[env, el]
        )
    np.testing.assert_array_equal(a.counters, c.counters)


@pytest.mark.parametrize("channels", [1, 3, 8, 9])
@pytest.mark.parametrize("size", [(2, 3, 5, 5), (1, 1, 3, 3)])  # even and odd code counts
def test_code_lookup_equals_fancy_indexing(channels, size):
    import pickle

    rng = np.random.default_rng(channels)
    table = rng.integers(0, 256, (14, channels)).astype(np.uint8)
    codes = rng.integers(0, 14, size).astype(np.uint8)
    lookup = grid.CodeLookup(table)
    np.testing.assert_array_equal(lookup(codes), table[codes])
    again = pickle.loads(pickle.dumps(lookup))
    np.testing.assert_array_equal(again(codes), table[codes])
    assert len(pickle.dumps(lookup)) < 2_000  # the shared pair table is not pickled


def test_rng_single_copy_scalar_path_matches_batched_draws():
    one, two = BatchedRNG(1), BatchedRNG(2)
    one.seed(np.arange(1), np.array([7]))
    two.seed(np.arange(2), np.array([7, 8]))
    one.new_episode(np.arange(1))
    two.new_episode(np.arange(2))
    for t in range(120):
        n = (t % 40) + 1  # both sides of the scalar-path size limit
        np.testing.assert_array_equal(one.bits((n,)), two.bits((n,))[:1])
        el = np.arange(0, n, 2)
        np.testing.assert_array_equal(
            one.bits_at(np.zeros(len(el), int), el), two.bits_at(np.zeros(len(el), int), el)
        )
        np.testing.assert_array_equal(one.permutation(5), two.permutation(5)[:1])
        first = np.array([0])
        np.testing.assert_array_equal(one.uniform((3,), first), two.uniform((3,), first))
    assert one.counters[0] == two.counters[0]


def test_one_copy_beam_path_matches_batched_beams():
    """``cast_beams`` on one copy (scalar ray walk) returns what the batched path returns
    for that copy: every array, dtype and order, with walls, absorbing cells, map edges
    and torus wrapping."""
    rng = np.random.default_rng(3)
    for trial in range(400):
        H, W = (int(x) for x in rng.integers(3, 10, 2))
        N = int(rng.integers(1, 6))
        cells = rng.permutation(H * W)[:N]
        pos = np.stack([cells // W, cells % W], -1)[None].astype(np.int64)
        ori = rng.integers(0, 4, (1, N))
        firing = rng.random((1, N)) < 0.7
        opaque = rng.random((1, H, W)) < 0.15
        absorb = None if trial % 3 == 0 else rng.random((1, H, W)) < 0.2
        wrap = trial % 4 == 0
        shape = grid.beam_shape(
            int(rng.integers(1, 7)), int(rng.choice([1, 3, 5])), ("ssd", "meltingpot")[trial % 2]
        )
        occ = grid.occupancy(pos, (H, W))
        one = grid.cast_beams(pos, ori, firing, shape, opaque[0], occ, absorb, wrap)

        def pair(x):  # the same copy twice; only the first one fires
            return None if x is None else np.concatenate([x, x])

        both = grid.cast_beams(
            pair(pos), pair(ori), np.concatenate([firing, 0 * firing]), shape,
            pair(opaque) if trial % 2 else opaque[0], pair(occ),
            absorb[0] if absorb is not None and trial % 5 == 1 else pair(absorb), wrap,
        )  # fmt: skip
        for name in ("env", "firer", "rows", "cols", "reached", "absorbed"):
            a, b = getattr(one, name), getattr(both, name)
            assert a.dtype == b.dtype, name
            np.testing.assert_array_equal(a, b, err_msg=f"trial {trial}: {name}")
        for name in ("hit_env", "hit_firer", "hit_target"):
            np.testing.assert_array_equal(getattr(one, name), getattr(both, name))
