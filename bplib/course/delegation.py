"""Exercises whose answer bplib already hands over: refuse a solution that only delegates.

Many exercises ask for something the chapter's library also provides (``bp.neuron.
neuron_gradients``, ``bp.functional.sigmoid_backward``, ...). For those the grader inspects the
submitted solution cell's syntax tree (on the host; the code is never run for this) for the
names listed here, next to the check that grades the exercise: an attribute, an imported or
unbound name, or ``getattr(module, "name")``. An exercise not listed, or
listed with no names, asks for something the library does not hand over as one call.
"""

from __future__ import annotations

import ast

# check function -> library names that would answer the exercise in one call
FORBIDDEN: dict[str, tuple[str, ...]] = {
    # chapter 1
    "check_central_difference": ("central_difference", "numerical_gradient",
                                 "numerical_gradient_array"),
    "check_sgd_step": ("SGD",),
    "check_loss_change_prediction": (),          # one sum of products: nothing to call
    "check_tanh_unit_gradient": ("tanh_backward", "Tanh", "Value", "Dual", "derivative",
                                 "central_difference", "numerical_gradient"),
    "check_step_loss_change": ("backward", "zero_grad", "MLP", "_step_loss_change", "_step_outcome"),
    "check_line_fit_gradients": ("mse", "MSELoss", "linear_backward", "numerical_gradient"),
    # chapter 2
    "check_train_step": ("fit", "_step"),        # calling the pieces in order is the exercise
    "check_gd_on_quadratic": ("optimizer_path",),
    "check_minibatch_indices": (),               # the library has no index partitioner
    "check_huber_loss": ("huber", "HuberLoss", "smooth_l1", "numerical_gradient"),
    "check_largest_stable_lr": (),               # a number: nothing to call
    "check_cross_entropy": ("softmax_cross_entropy", "CrossEntropyLoss", "numerical_gradient"),
    # chapter 3
    "check_log1p_square_derivative": ("compose", "derivative", "reverse_derivative"),
    "check_reverse_products": ("compose", "table", "reverse_derivative"),
    "check_tanh_neuron_partials": ("neuron_partials",),
    "check_fork_partials": ("Value", "Dual", "compose", "derivative"),
    "check_tanh_chain_prediction": ("compose", "derivative", "table", "reverse_derivative"),
    "check_sin_fork_backward": ("Value", "Dual", "compose", "derivative"),
    # chapter 4
    "check_sigmoid_prime": ("sigmoid_backward", "sigmoid_prime", "_sigmoid_prime"),
    "check_neuron_gradients": ("neuron_gradients",),
    "check_neuron_gradients_batch": ("neuron_gradients",),
    "check_leaky_neuron_gradients": ("leaky_relu_backward", "LeakyReLU", "neuron_gradients"),
    "check_saturation_prediction": ("neuron_gradients", "sigmoid_backward"),
    "check_neuron_loss_and_grads": ("neuron_gradients", "Sigmoid", "MSELoss"),
    # chapter 5 and 5b
    "check_output_delta": ("output_delta", "backprop", "backward_pass"),
    "check_hidden_delta": ("backprop", "backward_pass"),
    "check_layer_gradients": ("weight_gradients", "backprop", "backward_pass"),
    "check_linear_backward": ("linear_backward", "Linear"),
    "check_rel_error": ("rel_error",),
    "check_central_gradient_at": ("numerical_gradient", "numerical_gradient_array",
                                  "central_difference"),
    "check_tanh_layer_backward": ("tanh_backward",),
    "check_maxout_backward": (),                 # no maxout in bplib: routing and the fork are the exercise
    "check_relu_zero_gradients_prediction": (),  # a number, not code
    "check_two_layer_backward": ("MLP", "Sequential"),
    "check_one_sided_error_prediction": ("numerical_gradient", "rel_error", "step_sweep"),  # no computed reveal
    "check_normalize_backward": (),              # bplib has no L2 normalisation
    # chapter 6 and 7
    "check_he_init": ("he_normal", "he_uniform", "get_scheme"),
    "check_batchnorm_backward": ("batchnorm_backward", "BatchNorm1d"),
    "check_layer_gradient_norms": ("gradient_norms", "record_pass", "gradient_profile"),
    "check_clip_by_global_norm": ("clip_grad_norm_",),
    "check_clip_by_value": ("clip_grad_value_",),
    "check_l2_penalty": ("l2_penalty", "add_l2_gradient_"),
    "check_residual_block_backward": ("sigmoid_backward", "linear_backward", "Residual",
                                      "_gate_slope", "numerical_gradient",
                                      "numerical_gradient_array"),
    "check_vanishing_factor_prediction": (),     # a number: nothing to call
    "check_clip_rows_backward": ("numerical_gradient", "numerical_gradient_array"),
    "check_value_clip_norm_prediction": (),      # a number: nothing to call
    # chapter 8
    "check_tanh_op": ("tanh",),                  # x.tanh(); math.tanh / np.tanh stay allowed
    "check_topological_sort": ("topological_order",),
    "check_value_sgd_step": ("SGD",),
    "check_logaddexp_op": ("_logaddexp",),       # np.logaddexp gives the value, not the node
    "check_fork_prediction": (),                 # a number: nothing to call
    "check_backward_pass": ("backward", "_backward_variant"),  # root.backward() is the answer
    # chapter 9
    "check_momentum_delta": ("SGD",),
    "check_sum_squared_error": ("SumSquaredError", "_half_sum_squared_error"),
    "check_backprop_deltas": ("backprop", "backward_pass", "network_1986"),
    "check_tanh_linear_deltas": ("tanh_backward", "backprop", "backward_pass", "numerical_gradient",
                                 "numerical_gradient_array"),
    "check_momentum_prediction": (),             # a number, not code
    "check_loss_and_grads_1986": ("network_1986", "sweeps_to_solve", "SumSquaredError", "gradient",
                                  "numerical_gradient", "backprop", "backward_pass"),
    # chapter 10
    "check_momentum_step": ("SGD",),
    "check_adam_bias_correction": ("Adam", "AdamW"),
    "check_rmsprop_step": ("RMSprop",),
    "check_rosenbrock_grad": ("ROSENBROCK", "SURFACES", "_rosenbrock_grad"),
    "check_adam_tiny_gradient_step": ("Adam", "AdamW"),  # a prediction, not a measurement
    "check_adam_step": ("Adam", "AdamW"),
    "check_softmax_regression_grads": ("softmax_cross_entropy", "CrossEntropyLoss", "compute_gradients",
                                       "Linear", "_softmax_regression_grads"),
    # chapter 11
    "check_rnn_step_backward": ("rnn_step_backward", "RNN"),
    "check_hidden_gradients": ("RNN", "rnn_step_backward", "chunked_bptt"),
    "check_sum_weight_gradients": ("RNN", "rnn_step_backward", "chunked_bptt"),
    "check_gated_step_backward": ("_gated_step_backward",),
    "check_gradient_horizon": ("gradient_horizon", "gradient_in_time", "render_gradient_in_time",
                               "bptt_explorer"),      # a prediction is typed, not computed
    "check_rnn_backward": ("RNN", "_rnn_backward", "chunked_bptt"),
    # chapter 12: assembling the network from bplib.functional's pieces is the exercise
    "check_digits_forward": ("MLP", "Sequential"),
    "check_digits_backward": ("MLP", "Sequential"),
    "check_digits_grad_errors": (),             # calling bp.gradcheck is the exercise
    "check_digits_train_epoch": ("fit", "SGD"),
    "check_digits_accuracy": ("fit",),
}
# names whose attributes are plain maths, not the library's answer (math.tanh, np.tanh)
_MATH_MODULES = {"math", "np", "numpy", "cmath"}


def _own_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _binds(node: ast.stmt, names: set[str]) -> bool:
    """True when the top-level statement ``node`` defines or assigns one of ``names``."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name in names
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return any((a.asname or a.name.split(".")[0]) in names or a.name == "*" for a in node.names)
    return any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in names
               for n in ast.walk(node))


def _defining(tree: ast.Module, names: set[str]) -> list[ast.stmt]:
    """The top-level statements that bind ``names``, and, in turn, every name those read
    (``helper = bp.neuron.neuron_gradients`` used by the answer is read too)."""
    chosen: list[ast.stmt] = []
    while True:
        new = [n for n in tree.body if n not in chosen and _binds(n, names)]
        if not new:
            return chosen
        chosen += new
        names = {x.id for n in new for x in ast.walk(n) if isinstance(x, ast.Name)}


def _course_aliases(tree: ast.Module) -> set[str]:
    """Names the cell's top level binds to something imported from ``bplib.course``."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bplib.course"):
            names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names
                      if a.name.startswith("bplib.course") and a.asname}
    return names


def delegated(check: str, solution_source: str, own: set[str] | None = None,
              answers: set[str] | None = None) -> str | None:
    """The library name the solution hands ``check``'s exercise to, or None.

    ``own`` are names the student's notebook defines itself (its solution functions): calling
    one's own ``neuron_gradients`` from the batch exercise is fine, ``bp.neuron.`` one is not.
    ``answers`` are the names the check cell passes to the check (the student's function or
    value): only the statements that define them are read, so a gradient check or a print the
    student adds to the cell is not held against them. Without ``answers`` the whole cell is.
    """
    try:
        tree = ast.parse(solution_source)
    except SyntaxError:
        return None
    examined: list[ast.AST] = [tree] if not answers else _defining(tree, set(answers))
    borrowed = _course_aliases(tree)
    for part in examined:
        graders = _uses_the_checks(part)
        if graders:
            return graders
        used = {n.id for n in ast.walk(part) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        if used & borrowed:  # a name imported from bplib.course elsewhere in the cell
            return "bplib.course"
    forbidden = set(FORBIDDEN.get(check, ()))
    if not forbidden:
        return None
    defined = _own_names(tree) | (own or set())
    for part in examined:
        found = _forbidden_use(part, forbidden, defined)
        if found:
            return found
    return None


def check_arguments(check_source: str) -> set[str]:
    """The plain names a check cell passes to its ``check_*`` calls (the student's answers)."""
    try:
        tree = ast.parse(check_source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name.startswith("check_"):
                names |= {a.id for a in [*node.args, *(k.value for k in node.keywords)]
                          if isinstance(a, ast.Name)}
    return names


def _forbidden_use(tree: ast.AST, forbidden: set[str], defined: set[str]) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in forbidden:
            if not (isinstance(node.value, ast.Name) and node.value.id in _MATH_MODULES):
                return node.attr
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                and node.id in forbidden and node.id not in defined:
            return node.id
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in \
                    _MATH_MODULES:
                continue
            for alias in node.names:
                if alias.name == "*" or alias.name.split(".")[-1] in forbidden:
                    return alias.name
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "__import__") and len(node.args) > 1 \
                and isinstance(node.args[1], ast.Constant) and node.args[1].value in forbidden:
            return str(node.args[1].value)
    return None


def _uses_the_checks(tree: ast.AST) -> str | None:
    """``bplib.course`` in a solution cell: the checks' own reference answers live there."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "course":
            return "bplib.course"
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bplib.course"):
            return node.module
        if isinstance(node, ast.Import) and any(a.name.startswith("bplib.course") for a in node.names):
            return "bplib.course"
        if isinstance(node, ast.Call) and any(  # getattr(bp, "course"), import_module("bplib.course…")
                isinstance(a, ast.Constant) and isinstance(a.value, str)
                and (a.value == "course" or a.value.startswith("bplib.course")) for a in node.args):
            return "bplib.course"
    return None


def solution_functions(sources: list[str]) -> set[str]:
    """Names of the functions and classes the student's solution cells define."""
    names: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        names |= {n.name for n in tree.body
                  if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    return names


def delegation_message(name: str) -> str:
    """The gradebook message for a solution that hands the exercise to the library."""
    return (f"AssertionError: your solution uses bplib's own {name}, which already computes this "
            "answer; the exercise asks you to work it out yourself.")
