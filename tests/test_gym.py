"""The Gymnasium environment: the checker passes, episodes score as the search does, and our
REINFORCE trained through it meets the same designs as method="rl"."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import confuciux as cx

gymnasium = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

from confuciux.gym import ENV_ID, AllocationEnv, train_reinforce  # noqa: E402
from confuciux.search.problem import Problem  # noqa: E402
from confuciux.search.reinforce import episode_reward, reward_reference  # noqa: E402


def _platforms(model: cx.Model) -> list[cx.Platform]:
    return [
        cx.Platform.confuciux(model, "dla", "area", 0.3),
        cx.Platform.edge_fpga("shi"),
        cx.Platform.confuciux(model, "eye", "power", 0.5, deployment="LS"),
    ]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_env_checker_passes_without_warnings(index):
    model = cx.zoo.load("mobilenet_v2")
    env = gymnasium.make(ENV_ID, model=model, platform=_platforms(model)[index], objective="energy")
    assert isinstance(env.unwrapped, AllocationEnv)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any checker warning fails the test
        check_env(env.unwrapped)


def test_episode_scores_the_design_as_the_problem_does():
    model = cx.zoo.load("vgg16")
    platform = cx.Platform.confuciux(model, "dla", "area", 0.5)
    env = AllocationEnv(model, platform, "latency")
    obs, info = env.reset(seed=0)
    lay = env.layout
    assert obs.shape == env.observation_space.shape and obs[lay["progress"]][0] == 0
    np.testing.assert_array_equal(obs[lay["features"]], env.features[0])
    assert not obs[lay["previous_pe"]].any() and obs[lay["budget_used"]][0] == 0
    actions, total = [], 0.0
    for t in range(len(model)):
        action = env.action_space.sample(mask=info["action_mask"])
        assert info["action_mask"][0][action[0]] and info["action_mask"][1][action[1]]
        actions.append(action)
        obs, reward, terminated, truncated, info = env.step(action)
        total += reward
        assert terminated == (t == len(model) - 1) and not truncated
        assert obs[lay["previous_pe"]][action[0]] == 1 and obs[lay["previous_buffer"]].sum() == 1
        assert obs[lay["progress"]][0] == pytest.approx((t + 1) / len(model))
        assert env.observation_space.contains(obs)
    pes = np.array([platform.pe_levels[a[0]] for a in actions])
    buffers = np.array([platform.buffer_levels[a[1]] for a in actions])
    np.testing.assert_array_equal(info["pes"], pes)
    np.testing.assert_array_equal(info["buffers"], buffers)
    costs = cx.evaluate(model, pes, buffers, "dla")
    assert info["objective"] == pytest.approx(float(costs.total().runtime), rel=1e-12)
    area = float(np.sum(costs.area))
    assert info["feasible"] == (area <= platform.budgets["area"])
    assert obs[lay["budget_used"]][0] == pytest.approx(area / platform.budgets["area"], rel=1e-12)
    problem = Problem(model, platform, "latency")
    expected = episode_reward(info["objective"], info["feasible"], info["overuse"], reward_reference(problem))
    assert total == reward == expected
    with pytest.raises(RuntimeError, match="reset"):
        env.step(actions[0])
    env.reset()
    with pytest.raises(ValueError, match="action must be"):
        env.step((99, 0))
    with pytest.raises(ValueError, match="action must be"):
        env.step(3)


@pytest.mark.parametrize(
    ("name", "dataflow", "objective", "seed"),
    [("vgg16", "dla", "latency", 3), ("resnet18", "shi", "energy", 0), ("alexnet", "eye", "latency", 7)],
)
def test_reinforce_through_the_env_meets_the_designs_of_method_rl(name, dataflow, objective, seed):
    model = cx.zoo.load(name)
    platform = cx.Platform.confuciux(model, dataflow, "area", 0.3)
    run = train_reinforce(AllocationEnv(model, platform, objective), episodes=30, seed=seed)
    result = cx.Explorer(model, platform, objective, method="rl", epochs=30, seed=seed).run()
    assert result.feasible and run.pes is not None and run.buffers is not None
    np.testing.assert_array_equal(run.pes, result.pes)
    np.testing.assert_array_equal(run.buffers, result.buffers)
    assert run.objective == result.objective_value
    # the rewards are the training signal: they must change as the policy learns
    assert len(run.rewards) == 30 and len(set(run.rewards)) > 1


@pytest.mark.parametrize("action", [(1.5, 0), (0, 0.25), np.array([2.7, 1.0])])
def test_fractional_actions_are_refused_not_truncated(action):
    model = cx.zoo.load("alexnet")
    env = AllocationEnv(model, _platforms(model)[0])
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be"):
        env.step(action)
    env.step(np.array([1.0, 0.0]))  # whole numbers as floats are fine
    env.step((np.int64(1), True))
    assert env._t == 2


def test_a_layer_no_option_can_cost_is_named_at_construction():
    """It raised TypeError from log2 of a MAC count beyond 64 bits (or scored every episode NaN)."""
    model = cx.Model("huge", (cx.Layer(2**40, 2**40, 2**20, 2**20, 3, 3, name="giant"), cx.Layer(8, 4, 10, 10, 3, 3)))
    with pytest.raises(ValueError, match="no episode can be scored: layer 0 \\('giant'\\) of 'huge' has no valid"):
        AllocationEnv(model, cx.Platform("dla", budgets={"area": 1e7}))


def test_several_dataflows_are_refused_clearly():
    platform = cx.Platform(("dla", "eye"), budgets={"pes": 64})
    with pytest.raises(ValueError, match="one dataflow"):
        AllocationEnv(cx.zoo.load("alexnet"), platform)


def test_a_user_dataflow_platform():
    from confuciux.dataflow import Cluster, Dataflow, Spatial, Sz, Temporal

    mine = Dataflow([Temporal("K", 2), Temporal("C", 1), Spatial("Y'", 1), Temporal("X'", 4), Temporal("R", Sz("R")),
                     Temporal("S", Sz("S")), Cluster(4), Spatial("X'", 1), Temporal("R", Sz("R")),
                     Temporal("S", Sz("S"))])  # fmt: skip
    model = cx.zoo.load("resnet18")[:3]
    pl = cx.Platform.confuciux(model, mine, "area", 0.5, pe_levels=(4, 8, 16), buffer_levels=(1, 2))
    env = AllocationEnv(model, pl)
    _, info = env.reset(seed=0)
    assert list(info["action_mask"][1]) == [1, 0]  # the program uses no KTileSz: one buffer level
    done = False
    while not done:
        _, reward, done, _, info = env.step(np.array([1, 0]))  # 8 PEs a layer
    assert info["feasible"] and reward < 0 and list(info["pes"]) == [8, 8, 8] and list(info["buffers"]) == [1, 1, 1]
    assert info["objective"] == cx.evaluate(model, 8, 1, mine).total().runtime
