"""Custom training loops as TensorFlow's and Keras's guides write them:
``@tf.function`` steps over a ``tf.data`` pipeline, run as written but for the imports."""

import warnings

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.function import OperatorNotAllowedInGraphError
from tensorlet.keras import layers


def _data(n=320, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 784)).astype("float32")
    y = np.argmax(x[:, :10], 1).astype("int64")  # the largest of the first ten pixels
    return x, y


def _mlp():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(32, activation="relu")(inputs)
    return keras.Model(inputs=inputs, outputs=layers.Dense(10, name="predictions")(x))


def _custom_loop(compiled, epochs=3):
    """The guide's loop; returns per-epoch train/val accuracies, the last loss and the trace count."""
    keras.utils.set_random_seed(11)
    x, y = _data()
    model = _mlp()
    optimizer = keras.optimizers.Adam(learning_rate=1e-2)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    val_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    train_dataset = tf.data.Dataset.from_tensor_slices((x[:256], y[:256])).shuffle(buffer_size=1024).batch(64)
    val_dataset = tf.data.Dataset.from_tensor_slices((x[256:], y[256:])).batch(64)
    traced = []

    def train_step(x, y):
        traced.append(x.shape)
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        train_acc_metric.update_state(y, logits)
        return loss_value

    def test_step(x, y):
        val_acc_metric.update_state(y, model(x, training=False))

    if compiled:
        train_step, test_step = tf.function(train_step), tf.function(test_step)
    accs = []
    for _ in range(epochs):
        for x_batch, y_batch in train_dataset:
            loss_value = train_step(x_batch, y_batch)
        train_acc = float(train_acc_metric.result())
        train_acc_metric.reset_state()
        for x_batch, y_batch in val_dataset:
            test_step(x_batch, y_batch)
        accs.append((train_acc, float(val_acc_metric.result())))
        val_acc_metric.reset_state()
    return accs, float(loss_value), len(traced), int(optimizer.iterations)


def test_guide_custom_loop_compiled_equals_eager():
    eager = _custom_loop(False)
    compiled = _custom_loop(True)
    np.testing.assert_allclose(compiled[0], eager[0], atol=1e-6)
    assert compiled[1] == pytest.approx(eager[1], rel=1e-4)
    assert compiled[2] == 1 and eager[2] == 12  # traced once; the Python body ran once
    assert compiled[3] == eager[3] == 12
    assert compiled[0][-1][0] > 0.5  # ten classes: well above chance on the training data


def test_input_signature_step_with_tf_print_and_python_print(capsys):
    model = _mlp()
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function(input_signature=[tf.TensorSpec([None, 784], tf.float32), tf.TensorSpec([None], tf.int64)])
    def eval_step(x, y):
        print("tracing")
        tf.print("batch of", tf.shape(x)[0])
        return loss_fn(y, model(x, training=False))

    x, y = _data(20)
    for n in (10, 10, 10, 7):
        assert float(eval_step(x[:n], y[:n])) == pytest.approx(float(loss_fn(y[:n], model(x[:n]))), rel=1e-5)
    captured = capsys.readouterr()
    # Once per concrete batch size (TensorFlow: once; a graph over unknown dims is future work here).
    assert captured.out == "tracing\ntracing\n"
    assert captured.err.splitlines() == ["batch of 10"] * 3 + ["batch of 7"]  # tf.print writes to stderr
    assert eval_step.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError, match="input_signature"):
        eval_step(x[:3, :10], y[:3])


def test_a_dataset_iterated_inside_a_function_is_read_on_every_call():
    ds = tf.data.Dataset.from_tensor_slices(np.arange(12, dtype="float32")).shuffle(12).batch(4)

    @tf.function
    def firsts(ds):
        return tf.stack([batch[0] for batch in ds])

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        orders = {tuple(firsts(ds).numpy()) for _ in range(8)}
    assert len(orders) > 1  # reshuffled on each call, never one order frozen into a graph
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "tf.data.Dataset" in messages[0] and "eagerly" in messages[0]

    total = tf.Variable(0.0)

    @tf.function
    def add_all(ds):
        for batch in ds:
            total.assign_add(tf.reduce_sum(batch))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        add_all(ds)
        add_all(tf.data.Dataset.from_tensor_slices(np.ones(5, "float32")).batch(2))  # other data, same function
    assert float(total) == 66.0 + 5.0


def test_next_on_an_iterator_inside_a_function_advances_it():
    it = iter(tf.data.Dataset.range(6).batch(2))

    @tf.function
    def step(iterator):
        return tf.reduce_sum(next(iterator))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert [int(step(it)) for _ in range(3)] == [1, 5, 9]


def test_range_over_a_traced_bound_names_while_loop():
    @tf.function
    def count(n):
        s = tf.constant(0)
        for i in tf.range(n):
            s += i
        return s

    with pytest.raises(OperatorNotAllowedInGraphError, match=r"tf\.range\(n\).*tensorlet\.while_loop"):
        count(tf.constant(5))

    @tf.function
    def count_with_while_loop(n):
        return tf.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + i), (tf.constant(0), tf.constant(0)),
                             maximum_iterations=10)[1]

    assert int(count_with_while_loop(tf.constant(5))) == 10
    assert int(count_with_while_loop(tf.constant(3))) == 3

    @tf.function
    def count_to_a_python_int(x, n):
        for i in tf.range(n):
            x += tf.cast(i, x.dtype)
        return x

    assert float(count_to_a_python_int(tf.constant(0.0), 4)) == 6.0


def test_cond_on_a_traced_value_in_a_step():
    @tf.function
    def clipped_step(x):
        norm = tf.norm(x)
        return tf.cond(norm > 1.0, lambda: x / norm, lambda: x)

    np.testing.assert_allclose(clipped_step(tf.constant([3.0, 4.0])).numpy(), [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(clipped_step(tf.constant([0.3, 0.4])).numpy(), [0.3, 0.4], rtol=1e-6)
    assert clipped_step.experimental_get_tracing_count() == 1


def test_run_functions_eagerly_runs_the_body_on_every_call(capsys):
    @tf.function
    def get_mse(y_true, y_pred):
        print("Calculating MSE!")
        return tf.reduce_mean(tf.pow(y_true - y_pred, 2))

    y_true, y_pred = tf.constant([1, 5, 3]), tf.constant([2, 2, 3])
    for _ in range(3):
        assert int(get_mse(y_true, y_pred)) == 3
    assert capsys.readouterr().out == "Calculating MSE!\n"
    assert not tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    try:
        assert tf.config.functions_run_eagerly()
        for _ in range(2):
            assert int(get_mse(y_true, y_pred)) == 3
        assert capsys.readouterr().out == "Calculating MSE!\n" * 2
    finally:
        tf.config.run_functions_eagerly(False)
    get_mse(y_true, y_pred)
    assert capsys.readouterr().out == ""  # the trace is replayed again


def test_quickstart_for_experts_calls_metrics_inside_the_step():
    keras.utils.set_random_seed(12)
    x, y = _data(128)
    train_ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(10000).batch(32)
    model = _mlp()
    loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(learning_rate=1e-2)
    train_loss = keras.metrics.Mean(name="train_loss")
    train_accuracy = keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = loss_object(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        train_loss(loss)  # update_state and result() inside the graph
        train_accuracy(labels, predictions)
        return loss

    for epoch in range(3):
        train_loss.reset_state()
        train_accuracy.reset_state()
        losses = [float(train_step(images, labels)) for images, labels in train_ds]
        assert float(train_loss.result()) == pytest.approx(np.mean(losses), rel=1e-5)  # equal batches
        assert f"{train_accuracy.result() * 100:0.2f}"  # formats as the tutorial prints it
    assert train_step.experimental_get_tracing_count() == 1
    assert float(train_accuracy.result()) > 0.5


def test_work_of_another_thread_during_a_trace_is_not_part_of_it():
    """A tf.data pipeline's prefetch thread draws random augmentations while fit traces its step."""
    import threading

    draws = []

    def background():
        draws.append(tf.random.uniform((3,)).numpy())  # a draw and a host read, not the trace's
        tf.Variable(1.0)

    @tf.function
    def double(x):
        t = threading.Thread(target=background)
        t.start()
        t.join()
        return x * 2.0

    for _ in range(3):
        np.testing.assert_array_equal(double(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    assert len(draws) == 1 and draws[0].shape == (3,)


def test_augmenting_map_with_prefetch_feeds_a_compiled_fit():
    x = np.random.default_rng(0).uniform(0, 255, (64, 16, 16, 3)).astype("float32")
    y = (x[:, :8].mean(axis=(1, 2, 3)) > x[:, 8:].mean(axis=(1, 2, 3))).astype("float32")
    augmentation = [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)]

    def augment(images):
        for layer in augmentation:
            images = layer(images)
        return images

    train_ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16).map(
        lambda img, label: (augment(img), label), num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    model = keras.Sequential([keras.Input((16, 16, 3)), layers.Rescaling(1 / 255), layers.Conv2D(4, 3),
                              layers.GlobalAveragePooling2D(), layers.Dense(1)])
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True), jit_compile=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(train_ds, epochs=3, verbose=0)
    assert all(np.isfinite(history.history["loss"]))


def test_autograph_decorators_keep_programs_running():
    @tf.autograph.experimental.do_not_convert
    def triple(x):
        return x * 3

    tf.autograph.set_verbosity(0)
    assert int(tf.function(triple)(tf.constant(2))) == 6
    assert tf.autograph.experimental.do_not_convert()(triple) is triple
