"""bplib.layers: Parameter/Module behaviour, layer gradients, MLP construction, loss modules."""

import numpy as np
import pytest

import bplib as bp
from bplib import functional as F
from bplib.layers import Module, Parameter
from bplib.layers.activations import make_activation


def nonzero_biases(model, rng, scale=0.3):
    """Random biases, so no ReLU input sits exactly on its kink (dead unit + zero bias)."""
    for p in model.parameters():
        if p.data.ndim == 1:
            p.data[:] = scale * rng.standard_normal(p.data.shape)
    return model


class TwoBlocks(Module):
    """A module holding a parameter directly and a list of sub-modules."""

    def __init__(self):
        self.scale = Parameter(np.ones(2), "scale")
        self.blocks = [bp.Linear(2, 2, seed=0), bp.Linear(2, 2, seed=1)]

    def forward(self, x):
        return self.blocks[1](self.blocks[0](x * self.scale.data))

    def backward(self, dout):
        return self.blocks[0].backward(self.blocks[1].backward(dout))


# ------------------------------------------------------------------ Parameter / Module


def test_parameter_starts_with_zero_grad_and_converts_ints_to_float():
    p = Parameter([1, 2, 3], "w")
    assert p.data.dtype == np.float64 and p.shape == (3,)
    np.testing.assert_array_equal(p.grad, np.zeros(3))
    p.grad += 2.0
    view = p.grad
    p.zero_grad()
    assert view is p.grad and not p.grad.any()
    assert repr(p) == "Parameter 'w'(shape=(3,), dtype=float64)"
    assert Parameter(np.zeros(2, dtype=np.float32)).grad.dtype == np.float32


def test_parameters_are_listed_in_layer_order_with_dotted_names():
    model = bp.Sequential(bp.Linear(3, 4, seed=0), bp.ReLU(), bp.Linear(4, 2, seed=1))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.W", "0.b", "2.W", "2.b"]
    assert [p.shape for p in model.parameters()] == [(4, 3), (4,), (2, 4), (2,)]
    assert model.parameters()[0] is model[0].W


def test_shared_layer_parameters_are_listed_once():
    shared = bp.Linear(3, 3, seed=0)
    model = bp.Sequential(shared, bp.Tanh(), shared)
    assert [name for name, _ in model.named_parameters()] == ["0.W", "0.b"]
    assert model.num_parameters() == 12


def test_named_parameters_of_custom_module_include_lists_of_modules():
    names = [name for name, _ in TwoBlocks().named_parameters()]
    assert names == ["scale", "blocks.0.W", "blocks.0.b", "blocks.1.W", "blocks.1.b"]


def test_linear_without_bias_has_only_a_weight():
    layer = bp.Linear(3, 2, bias=False, seed=0)
    assert [name for name, _ in layer.named_parameters()] == ["W"]
    out = layer(np.ones((1, 3)))
    np.testing.assert_allclose(out, np.ones((1, 3)) @ layer.W.data.T)


def test_zero_grad_clears_every_parameter(rng):
    model = bp.MLP([3, 4, 2], seed=0)
    model(rng.standard_normal((5, 3)))
    model.backward(rng.standard_normal((5, 2)))
    assert any(p.grad.any() for p in model.parameters())
    model.zero_grad()
    assert not any(p.grad.any() for p in model.parameters())


def test_grads_accumulate_across_two_backward_calls(rng):
    model = bp.MLP([3, 4, 2], activation="tanh", seed=0)
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    model(x)
    model.backward(dout)
    once = [p.grad.copy() for p in model.parameters()]
    model(x)
    model.backward(dout)
    for p, g in zip(model.parameters(), once, strict=False):
        np.testing.assert_allclose(p.grad, 2 * g)


def test_train_and_eval_propagate_to_every_child():
    model = bp.Sequential(
        bp.Linear(2, 2, seed=0), bp.Sequential(bp.ReLU(), bp.Linear(2, 1, seed=0))
    )
    assert model.eval() is model
    assert not model.training and not model[0].training and not model[1][1].training
    model.train()
    assert model.training and model[1][0].training and model[1][1].training
    block = TwoBlocks().eval()
    assert not block.blocks[1].training


def test_module_reprs_name_the_layer_and_its_sizes():
    assert repr(bp.Linear(3, 2, seed=0)) == "Linear(3 -> 2)"
    assert repr(bp.Linear(3, 2, bias=False, seed=0)) == "Linear(3 -> 2, bias=False)"
    assert repr(bp.ReLU()) == "ReLU()"
    assert repr(bp.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    text = repr(bp.MLP([2, 3, 1], activation="tanh", seed=0))
    assert text.splitlines() == [
        "MLP(",
        "  (0): Linear(2 -> 3)",
        "  (1): Tanh()",
        "  (2): Linear(3 -> 1)",
        ")",
    ]
    assert repr(bp.MSELoss("sum")) == "MSELoss(reduction='sum')"


def test_sequential_supports_indexing_length_and_iteration():
    layers = [bp.Linear(2, 3, seed=0), bp.Sigmoid()]
    model = bp.Sequential(*layers)
    assert len(model) == 2 and model[1] is layers[1] and list(model) == layers


def test_make_activation_accepts_name_class_and_instance():
    assert isinstance(make_activation("tanh"), bp.Tanh)
    assert isinstance(make_activation(bp.ReLU), bp.ReLU)
    inst = bp.LeakyReLU(0.3)
    assert make_activation(inst) is inst


# ------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("shape", [(1, 3, 2), (4, 3, 2), (7, 1, 5), (2, 6, 1)])
def test_linear_gradients_match_finite_differences(shape, rng, assert_gradcheck):
    n, d, m = shape
    layer = nonzero_biases(bp.Linear(d, m, rng=rng), rng)
    report = assert_gradcheck(layer, rng.standard_normal((n, d)))
    assert set(report.errors) == {"x", "W", "b"}


@pytest.mark.parametrize(
    "layer", [bp.ReLU(), bp.LeakyReLU(), bp.LeakyReLU(0.3), bp.Sigmoid(), bp.Tanh()], ids=repr
)
@pytest.mark.parametrize("shape", [(1, 1), (4, 3), (2, 3, 2)])
def test_activation_gradients_match_finite_differences(layer, shape, rng, assert_gradcheck):
    x = rng.standard_normal(shape)
    assert_gradcheck(layer, np.sign(x) * (0.05 + np.abs(x)))


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("sizes", [[2, 1], [3, 5, 2], [4, 6, 6, 3], [1, 3, 3, 3, 1]])
def test_mlp_gradients_match_finite_differences(activation, sizes, rng, assert_gradcheck):
    model = nonzero_biases(bp.MLP(sizes, activation=activation, rng=rng), rng)
    assert_gradcheck(model, rng.standard_normal((5, sizes[0])))


@pytest.mark.parametrize("output_activation", ["sigmoid", "tanh"])
def test_mlp_with_output_activation_gradients(output_activation, rng, assert_gradcheck):
    model = bp.MLP([3, 4, 2], activation="tanh", output_activation=output_activation, rng=rng)
    assert isinstance(model[-1], bp.Sigmoid if output_activation == "sigmoid" else bp.Tanh)
    assert_gradcheck(model, rng.standard_normal((4, 3)))


def test_sequential_backward_equals_chained_functional_backward(rng):
    model = bp.Sequential(bp.Linear(3, 4, seed=0), bp.Tanh(), bp.Linear(4, 2, seed=1))
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    out = model(x)
    dx = model.backward(dout)
    h, c1 = F.linear_forward(x, model[0].W.data, model[0].b.data)
    a, c2 = F.tanh_forward(h)
    ref_out, c3 = F.linear_forward(a, model[2].W.data, model[2].b.data)
    da, dW2, db2 = F.linear_backward(dout, c3)
    ref_dx, dW1, db1 = F.linear_backward(F.tanh_backward(da, c2), c1)
    np.testing.assert_allclose(out, ref_out)
    np.testing.assert_allclose(dx, ref_dx)
    for got, ref in zip([p.grad for p in model.parameters()], [dW1, db1, dW2, db2], strict=False):
        np.testing.assert_allclose(got, ref)


def test_activation_derivative_is_the_local_slope():
    x = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(bp.ReLU().derivative(x), [0.0, 1.0, 1.0])
    np.testing.assert_allclose(bp.LeakyReLU(0.1).derivative(x), [0.1, 1.0, 1.0])
    np.testing.assert_allclose(bp.Tanh().derivative(x), 1 - np.tanh(x) ** 2)
    s = F.sigmoid(x)
    np.testing.assert_allclose(bp.Sigmoid().derivative(x), s * (1 - s))


# --------------------------------------------------------------------------- float32


def test_float32_forward_and_backward_keep_dtype(rng):
    model = bp.MLP(
        [3, 4, 2], activation="tanh", output_activation="sigmoid", seed=0, dtype=np.float32
    )
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    out = model(rng.standard_normal((5, 3)))  # float64 input is cast to the layer's dtype
    assert out.dtype == np.float32
    dx = model.backward(np.ones((5, 2), dtype=np.float32))
    assert dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


@pytest.mark.parametrize("layer", [bp.ReLU(), bp.LeakyReLU(), bp.Sigmoid(), bp.Tanh()], ids=repr)
def test_activations_keep_float32(layer):
    x = np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3)
    assert layer(x).dtype == np.float32
    assert layer.backward(np.ones((2, 3), dtype=np.float32)).dtype == np.float32


def test_float32_model_agrees_with_float64_model(rng):
    x = rng.standard_normal((4, 3))
    m64 = bp.MLP([3, 5, 2], activation="tanh", seed=3)
    m32 = bp.MLP([3, 5, 2], activation="tanh", seed=3, dtype=np.float32)
    np.testing.assert_allclose(m32(x), m64(x), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------- MLP


def test_mlp_layers_and_sizes():
    model = bp.MLP([2, 16, 16, 1], activation="tanh", seed=0)
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert [(lin.in_features, lin.out_features) for lin in model.linear_layers()] == [
        (2, 16),
        (16, 16),
        (16, 1),
    ]
    assert model.sizes == [2, 16, 16, 1]
    assert model.num_parameters() == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1


def test_mlp_default_init_is_xavier_for_tanh_and_he_for_relu():
    tanh = bp.MLP([300, 200, 1], activation="tanh", seed=0).linear_layers()[0].W.data
    bound = np.sqrt(6 / 500)
    assert (
        np.abs(tanh).max() <= bound and np.abs(tanh).max() > 0.99 * bound
    )  # uniform, Glorot bound
    relu = bp.MLP([300, 200, 1], activation="relu", seed=0).linear_layers()[0].W.data
    assert relu.std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)  # normal, He std
    assert np.abs(relu).max() > np.sqrt(6 / 300)  # a normal, not a bounded uniform
    for lin in bp.MLP([3, 4, 2], seed=0).linear_layers():
        assert not lin.b.data.any()


def test_mlp_with_seed_is_deterministic_and_seeds_differ():
    a, b, c = bp.MLP([3, 4, 2], seed=5), bp.MLP([3, 4, 2], seed=5), bp.MLP([3, 4, 2], seed=6)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=False):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert not np.array_equal(a[0].W.data, c[0].W.data)


def test_mlp_explicit_init_and_activation_class():
    model = bp.MLP([3, 4, 2], activation=bp.LeakyReLU, init="zeros", seed=0)
    assert isinstance(model[1], bp.LeakyReLU)
    assert not any(p.data.any() for p in model.parameters())


def test_linear_lecun_init_draws_bias_like_pytorch():
    layer = bp.Linear(400, 300, init="lecun", seed=0)
    bound = 1 / np.sqrt(400)
    assert np.abs(layer.W.data).max() <= bound and np.abs(layer.b.data).max() <= bound
    assert layer.b.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.15)


# --------------------------------------------------------------------------- losses


@pytest.mark.parametrize(
    "cls, fn",
    [
        (bp.MSELoss, F.mse),
        (bp.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits),
        (bp.BCELoss, F.binary_cross_entropy),
    ],
)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_wrap_the_functions(cls, fn, reduction, rng, assert_gradcheck):
    pred, target = rng.uniform(0.05, 0.95, (4, 2)), rng.uniform(0, 1, (4, 2))
    loss_fn = cls(reduction)
    loss = loss_fn(pred, target)
    ref_loss, ref_grad = fn(pred, target, reduction)
    np.testing.assert_allclose(loss, ref_loss)
    np.testing.assert_allclose(loss_fn.backward(), ref_grad)
    assert_gradcheck(loss_fn, (pred, target))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_loss_module(reduction, rng, assert_gradcheck):
    logits, labels = rng.standard_normal((5, 3)), rng.integers(0, 3, size=5)
    loss_fn = bp.CrossEntropyLoss(reduction)
    loss = loss_fn(logits, labels)
    assert np.shape(loss) == ((5,) if reduction == "none" else ())
    assert_gradcheck(loss_fn, (logits, labels))


def test_loss_backward_scales_by_upstream_gradient(rng):
    pred, target = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    mean = bp.MSELoss()
    mean(pred, target)
    np.testing.assert_allclose(mean.backward(3.0), 3.0 * mean.backward())
    none = bp.MSELoss("none")
    none(pred, target)
    dloss = rng.standard_normal((3, 2))
    np.testing.assert_allclose(none.backward(dloss), 2 * (pred - target) * dloss)


def test_mlp_with_mse_loss_trains_on_a_gradient_step(rng):
    model, loss_fn = bp.MLP([2, 4, 1], activation="tanh", seed=0), bp.MSELoss()
    x, y = rng.standard_normal((8, 2)), rng.standard_normal((8, 1))
    before = loss_fn(model(x), y)
    model.zero_grad()
    model.backward(loss_fn.backward())
    for p in model.parameters():
        p.data -= 0.01 * p.grad
    assert loss_fn(model(x), y) < before


# ---------------------------------------------------------------------- torch parity


def test_linear_forward_and_backward_match_torch(rng):
    torch = pytest.importorskip("torch")
    layer = nonzero_biases(bp.Linear(4, 3, seed=0), rng)
    ref = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.W.data))
        ref.bias.copy_(torch.from_numpy(layer.b.data))
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    tx = torch.tensor(x, requires_grad=True)
    ref_out = ref(tx)
    ref_out.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(layer(x), ref_out.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(layer.backward(dout), tx.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(layer.W.grad, ref.weight.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(layer.b.grad, ref.bias.grad.numpy(), rtol=1e-13)


def test_mlp_gradients_match_torch(rng):
    torch = pytest.importorskip("torch")
    model = nonzero_biases(
        bp.MLP([3, 5, 2], activation="tanh", output_activation="sigmoid", seed=0), rng
    )
    x, y = rng.standard_normal((6, 3)), rng.uniform(size=(6, 2))
    loss_fn = bp.BCELoss()
    loss = loss_fn(model(x), y)
    model.zero_grad()
    model.backward(loss_fn.backward())
    params = [torch.tensor(p.data, requires_grad=True) for p in model.parameters()]
    W1, b1, W2, b2 = params
    out = torch.sigmoid(torch.tanh(torch.from_numpy(x) @ W1.T + b1) @ W2.T + b2)
    ref = torch.nn.functional.binary_cross_entropy(out, torch.from_numpy(y))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    for p, t in zip(model.parameters(), params, strict=False):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-10, atol=1e-14)
