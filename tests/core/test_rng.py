import numpy as np
import pytest

from socialenvs.core.rng import BatchedRNG


def _draws(num_envs: int, seed: int, calls: int = 5) -> np.ndarray:
    rng = BatchedRNG(num_envs)
    rng.seed(np.arange(num_envs), seed + np.arange(num_envs))
    rng.new_episode(np.arange(num_envs))
    return np.stack([rng.uniform((7,)) for _ in range(calls)], axis=1)  # [B, calls, 7]


def test_copy_i_is_independent_of_batch_size():
    big = _draws(16, seed=100)
    for i in (0, 5, 15):
        alone = _draws(1, seed=100 + i)
        np.testing.assert_array_equal(big[i], alone[0])


def test_subset_draws_do_not_disturb_other_copies():
    rng = BatchedRNG(4)
    rng.seed(np.arange(4), np.arange(4))
    rng.new_episode(np.arange(4))
    rng.uniform((3,), idx=np.array([1, 2]))  # only copies 1, 2 advance
    after = rng.uniform((3,))
    ref = _draws(4, seed=0, calls=1)[:, 0, :3]
    np.testing.assert_array_equal(after[[0, 3]], ref[[0, 3]])
    assert not np.array_equal(after[[1, 2]], ref[[1, 2]])


def test_new_episode_changes_stream_and_is_reproducible():
    rng = BatchedRNG(1)
    rng.seed(np.array([0]), np.array([42]))
    rng.new_episode(np.array([0]))
    ep0 = rng.uniform((5,))
    rng.new_episode(np.array([0]))
    ep1 = rng.uniform((5,))
    assert not np.array_equal(ep0, ep1)
    rng.seed(np.array([0]), np.array([42]))
    rng.new_episode(np.array([0]))
    np.testing.assert_array_equal(rng.uniform((5,)), ep0)


def test_uniform_statistics():
    rng = BatchedRNG(64)
    rng.seed(np.arange(64), np.arange(64))
    rng.new_episode(np.arange(64))
    u = rng.uniform((2000,))
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005
    hist = np.histogram(u, bins=10, range=(0, 1))[0] / u.size
    assert np.all(np.abs(hist - 0.1) < 0.005)
    # Neighbouring seeds are uncorrelated.
    assert abs(np.corrcoef(u[0], u[1])[0, 1]) < 0.1


def test_permutation_and_choose():
    rng = BatchedRNG(200)
    rng.seed(np.arange(200), np.arange(200))
    rng.new_episode(np.arange(200))
    perms = rng.permutation(4)
    assert all(sorted(p) == [0, 1, 2, 3] for p in perms)
    # Each agent is first about a quarter of the time.
    first = np.bincount(perms[:, 0], minlength=4) / 200
    assert np.all(np.abs(first - 0.25) < 0.12)
    avail = np.zeros((200, 10), dtype=bool)
    avail[:, [2, 5, 7]] = True
    picked = rng.choose(avail, 2)
    assert np.all(np.isin(picked, [2, 5, 7]))
    assert np.all(picked[:, 0] != picked[:, 1])
    with pytest.raises(ValueError, match="cannot choose"):
        rng.choose(avail, 4)


def test_new_episode_keys_match_scalar_derivation():
    """The vectorised key derivation equals the scalar one it replaced (saved seeds keep
    their trajectories), including negative and large seeds."""
    from socialenvs.core.rng import _mix_int

    seeds = np.array([0, 1, -5, 2**62, 123456789, -(2**63) + 3], dtype=np.int64)
    rng = BatchedRNG(len(seeds))
    rng.seed(np.arange(len(seeds)), seeds)
    rng.new_episode(np.arange(len(seeds)))
    rng.new_episode(np.array([2, 4]))
    episodes = [0, 0, 1, 0, 1, 0]
    expected = [_mix_int(int(s), e, 0x5EED) for s, e in zip(seeds, episodes)]
    assert [int(k) for k in rng.keys] == expected


def test_one_copy_paths_match_batched_draws_at_every_size():
    """The one-copy shortcuts (Python ints, Python sort, numpy per-element hash) give the
    numbers of the batched path, on both sides of their size limits."""
    one, three = BatchedRNG(1), BatchedRNG(3)
    one.seed(np.arange(1), np.array([11]))
    three.seed(np.arange(3), np.array([11, 2, 3]))
    one.new_episode(np.arange(1))
    three.new_episode(np.arange(3))
    for n in range(0, 70):
        p1, p3 = one.permutation(n), three.permutation(n)
        assert p1.dtype == p3.dtype
        np.testing.assert_array_equal(p1, p3[:1])
        el = np.flatnonzero(np.random.default_rng(n).random(2 * n) < 0.5)
        b1, b3 = one.bits_at(el, el), three.bits_at(np.zeros(len(el), int), el)
        assert b1.dtype == b3.dtype == np.uint64
        np.testing.assert_array_equal(b1, b3)
        np.testing.assert_array_equal(one.integers(7, (n,)), three.integers(7, (n,))[:1])
    assert one.counters[0] == three.counters[0]
