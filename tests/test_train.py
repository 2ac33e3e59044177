"""bplib.train.fit: learning XOR, the four steps, mini-batches, shuffling, NaN stop, History."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib.train import TrainingDiverged, accuracy

XOR_EPOCHS = 60  # seed 0 below reaches 100 % at epoch 26; the margin absorbs harmless changes


def _xor_run(epochs=XOR_EPOCHS, progress=False, **kwargs):
    x, y = bp.data.xor()
    model = bp.MLP([2, 4, 1], activation="tanh", seed=0)
    opt = bp.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    history = bp.fit(model, bp.BCEWithLogitsLoss(), opt, x, y[:, None].astype(float),
                     epochs=epochs, progress=progress, seed=0, **kwargs)
    return model, history


def test_fit_learns_xor_to_full_accuracy_within_stated_epochs():
    model, history = _xor_run()
    assert history.accuracy[-1] == 1.0
    assert history.epoch_loss[-1] < 0.1 * history.epoch_loss[0]
    x, y = bp.data.xor()
    np.testing.assert_array_equal(model(x)[:, 0] > 0, y == 1)


def test_full_batch_step_is_forward_loss_backward_update():
    x, y = bp.data.moons(20, seed=0)
    a = bp.MLP([2, 5, 2], seed=1)
    b = bp.MLP([2, 5, 2], seed=1)
    history = bp.fit(a, bp.CrossEntropyLoss(), bp.optim.SGD(a, lr=0.3), x, y, epochs=3,
                     shuffle=False, progress=False)
    loss_fn, opt = bp.CrossEntropyLoss(), bp.optim.SGD(b, lr=0.3)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        losses.append(loss_fn(b(x), y))
        b.backward(loss_fn.backward())
        opt.step()
    np.testing.assert_allclose(history.step_loss, losses, rtol=1e-14)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)


def test_mini_batches_cover_every_example_each_epoch():
    x, y = bp.data.spirals(5, seed=0)  # 10 examples
    model = bp.MLP([2, 3, 2], seed=0)
    history = bp.fit(model, bp.CrossEntropyLoss(), bp.optim.SGD(model, lr=0.1), x, y,
                     epochs=2, batch_size=4, progress=False, seed=0)
    assert history.steps == 6  # batches of 4, 4, 2 in each of 2 epochs
    assert history.epochs == 2
    assert all(len(v) == 6 for v in history.grad_norms.values())
    # the epoch loss is the batch losses weighted by batch size
    first = np.dot(history.step_loss[:3], [4, 4, 2]) / 10
    assert history.epoch_loss[0] == pytest.approx(first)


def test_shuffling_is_reproducible_with_a_seed():
    x, y = bp.data.moons(30, seed=0)

    def run(**kw):
        model = bp.MLP([2, 4, 2], seed=0)
        return bp.fit(model, bp.CrossEntropyLoss(), bp.optim.SGD(model, lr=0.2), x, y,
                      epochs=3, batch_size=8, progress=False, **kw).step_loss

    assert run(seed=1) == run(seed=1)
    assert run(seed=1) != run(seed=2)
    assert run(shuffle=False, seed=1) == run(shuffle=False, seed=2)
    assert run(rng=np.random.default_rng(1)) == run(seed=1)


def test_gradient_norms_are_recorded_per_parameter_name():
    x, y = bp.data.xor()
    model = bp.MLP([2, 3, 1], activation="tanh", seed=0)
    loss_fn = bp.BCEWithLogitsLoss()
    target = y[:, None].astype(float)
    loss_fn(model(x), target)
    model.backward(loss_fn.backward())
    expected = {name: float(np.linalg.norm(p.grad)) for name, p in model.named_parameters()}
    model.zero_grad()
    history = bp.fit(model, loss_fn, bp.optim.SGD(model, lr=0.1), x, target, epochs=1,
                     progress=False)
    assert set(history.grad_norms) == {"0.W", "0.b", "2.W", "2.b"}
    for name, value in expected.items():
        assert history.grad_norm_array(name)[0] == pytest.approx(value, rel=1e-12)


def test_nan_loss_stops_naming_the_step_and_keeps_the_last_good_weights():
    x = np.linspace(-1, 1, 8)[:, None]
    y = 3 * x

    def model_and_opt():
        model = bp.Linear(1, 1, seed=0)
        return model, bp.optim.SGD(model, lr=50.0)

    model, opt = model_and_opt()
    message = r"diverged at step (\d+) .*lower learning rate"
    with pytest.raises(TrainingDiverged, match=message) as err:
        bp.fit(model, bp.MSELoss(), opt, x, y, epochs=500, shuffle=False, progress=False)
    step = err.value.step
    assert err.value.history.steps == step - 1
    replay, replay_opt = model_and_opt()
    bp.fit(replay, bp.MSELoss(), replay_opt, x, y, epochs=step - 1, shuffle=False,
           progress=False)
    np.testing.assert_array_equal(model.W.data, replay.W.data)
    assert np.all(np.isfinite(model.W.data))


def test_update_that_overflows_is_undone():
    model = bp.Linear(1, 1, seed=0)
    x, y = np.ones((2, 1)), np.zeros((2, 1))
    model.W.data[...] = 1e300
    before = model.W.data.copy()
    with pytest.raises(TrainingDiverged, match="step 1"):
        bp.fit(model, bp.MSELoss(), bp.optim.SGD(model, lr=1e10), x, y, progress=False)
    np.testing.assert_array_equal(model.W.data, before)


def test_an_update_that_overflows_later_puts_back_that_steps_weights_not_the_first_ones():
    model = bp.Linear(1, 1, seed=0)
    opt = bp.optim.SGD(model, lr=0.01)
    x, y = np.ones((2, 1)), np.zeros((2, 1))

    def after_epoch_one(history):  # the next step starts from W = 3 with a rate that overflows
        model.W.data[...] = 3.0
        opt.lr = 1e308

    with pytest.raises(TrainingDiverged, match="step 2 .*overflow"):
        bp.fit(model, bp.MSELoss(), opt, x, y, epochs=2, shuffle=False, progress=False,
               callbacks=[after_epoch_one])
    assert model.W.data[0, 0] == 3.0


def test_weights_replaced_by_a_callback_are_the_ones_put_back():
    model = bp.Linear(1, 1, seed=0)
    opt = bp.optim.SGD(model, lr=0.01)
    x, y = np.ones((2, 1)), np.zeros((2, 1))

    def replace(history):
        model.W.data = np.full((1, 1), 3.0)  # a new array, not the one fit started with
        opt.lr = 1e308

    with pytest.raises(TrainingDiverged, match="step 2 .*overflow"):
        bp.fit(model, bp.MSELoss(), opt, x, y, epochs=2, shuffle=False, progress=False, callbacks=[replace])
    assert model.W.data[0, 0] == 3.0


def test_callback_returning_true_stops_training():
    _, history = _xor_run(epochs=500, callbacks=[lambda h: h.accuracy[-1] == 1.0])
    assert history.stopped_early
    assert history.epochs < 500 and history.accuracy[-1] == 1.0


def test_max_grad_norm_clips_each_update():
    x, y = bp.data.xor()
    model = bp.MLP([2, 3, 1], seed=0)
    before = np.concatenate([p.data.ravel() for p in model.parameters()])
    history = bp.fit(model, bp.MSELoss(), bp.optim.SGD(model, lr=1.0), x,
                     100 * y[:, None].astype(float), epochs=1, progress=False, max_grad_norm=0.5)
    after = np.concatenate([p.data.ravel() for p in model.parameters()])
    assert np.linalg.norm(after - before) == pytest.approx(0.5, rel=1e-5)
    assert max(v[0] for v in history.grad_norms.values()) > 0.5  # recorded before clipping


def test_snapshots_and_validation_are_kept_per_epoch():
    x, y = bp.data.moons(40, seed=0)
    model = bp.MLP([2, 6, 2], seed=0)
    history = bp.fit(model, bp.CrossEntropyLoss(), bp.optim.Adam(model, lr=0.05), x, y,
                     epochs=5, progress=False, snapshot_epochs=[0, 5],
                     validation=bp.data.moons(20, seed=1))
    assert len(history.val_loss) == 5 and len(history.val_accuracy) == 5
    final = [p.data.copy() for p in model.parameters()]
    history.restore(model, 0)
    assert not np.array_equal(model.parameters()[0].data, final[0])
    history.restore(model, 5)
    np.testing.assert_array_equal(model.parameters()[0].data, final[0])
    with pytest.raises(KeyError, match="no snapshot of epoch 3"):
        history.restore(model, 3)
    assert "5 epochs" in repr(history)


def test_progress_bar_can_be_on():
    _, history = _xor_run(epochs=2, progress=True)
    assert history.epochs == 2


def test_accuracy_reads_classes_binary_outputs_and_logits():
    assert accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0])) == 0.5
    assert accuracy(np.array([[0.9], [0.2]]), np.array([1.0, 1.0])) == 0.5
    assert accuracy(np.array([[0.3], [-0.2]]), np.array([[1], [0]]), logits=True) == 1.0
    assert accuracy(np.array([[0.3], [1.7]]), np.array([[0.5], [2.0]])) is None


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    (dict(model="not a model"), TypeError, "model must be a bplib Module"),
    (dict(optimizer=None), TypeError, "optimizer must be a bplib.optim optimiser"),
    (dict(y=np.zeros(3, dtype=int)), ValueError, "x has 4 examples but y has 3"),
    (dict(epochs=0), ValueError, "epochs must be a whole number >= 1"),
    (dict(batch_size=-2), ValueError, "batch_size must be a whole number >= 1"),
])
def test_bad_arguments_get_clear_errors(kwargs, error, message):
    x, y = bp.data.xor()
    model = bp.MLP([2, 2, 2], seed=0)
    args = dict(model=model, loss_fn=bp.CrossEntropyLoss(), optimizer=bp.optim.SGD(model, lr=0.1),
                x=x, y=y, progress=False)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        bp.fit(**args)


def test_output_overflow_is_reported_before_the_loss_sees_it():
    x, y = bp.data.moons(40, noise=0.1, seed=0)
    model = bp.MLP([2, 8, 2], activation="relu", seed=0)
    with pytest.raises(TrainingDiverged, match="output is not finite"):
        bp.fit(model, bp.CrossEntropyLoss(), bp.optim.SGD(model, lr=1e4), x, y, epochs=50,
               batch_size=10, seed=0, progress=False)
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_compute_gradients_returns_copies_without_updating():
    x, y = bp.data.moons(20, seed=0)
    model = bp.MLP([2, 4, 2], seed=0)
    before = [p.data.copy() for p in model.parameters()]
    for p in model.parameters():
        p.grad[...] = 5.0  # stale values must not leak in
    grads = bp.train.compute_gradients(model, bp.CrossEntropyLoss(), x, y)
    reference = bp.MLP([2, 4, 2], seed=0)
    loss_fn = bp.CrossEntropyLoss()
    loss_fn(reference(x), y)
    reference.backward(loss_fn.backward())
    for (name, p), q, old in zip(reference.named_parameters(), model.parameters(), before,
                                 strict=True):
        np.testing.assert_array_equal(grads[name], p.grad)
        np.testing.assert_array_equal(q.data, old)


def test_fit_skips_the_gradient_of_the_data_and_gets_the_same_parameter_gradients(monkeypatch):
    x = np.random.default_rng(0).standard_normal((16, 3))
    y = np.random.default_rng(1).standard_normal((16, 1))
    calls = []
    original = bp.Linear.backward

    def spy(self, dout, input_grad=True):
        calls.append(input_grad)
        return original(self, dout, input_grad=input_grad)

    results = {}
    for skip in (False, True):
        model = bp.MLP([3, 5, 1], seed=4)
        if skip:
            monkeypatch.setattr(bp.Linear, "backward", spy)
            bp.fit(model, bp.MSELoss(), bp.optim.SGD(model.parameters(), lr=0.1), x, y, epochs=1,
                   progress=False, shuffle=False)
        else:
            bp.train.compute_gradients(model, bp.MSELoss(), x, y)
            bp.optim.SGD(model.parameters(), lr=0.1).step()
        results[skip] = [p.data.copy() for p in model.parameters()]
    assert calls == [True, False]  # the last layer passes dx back; the first, fed the data, does not
    for a, b in zip(results[False], results[True]):
        np.testing.assert_array_equal(a, b)
