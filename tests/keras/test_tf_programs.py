"""Programs in the style of the Keras and TensorFlow convnet tutorials, run as
written for TensorFlow but for the imports. Parameter counts are the figures
Keras 3.15 on TensorFlow 2.21 reports for the same programs."""

import warnings

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers


def _images(n, size=32, seed=0):
    """Two classes told apart by where a bright patch sits."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 60, (n, size, size, 3)).astype("float32")
    y = rng.integers(0, 2, n)
    for i, c in enumerate(y):
        x[i, 4:14, 4:14] += 180 if c else 0
        x[i, 18:28, 18:28] += 0 if c else 180
    return x, y


def _augmented_convnet():
    data_augmentation = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.2)])
    inputs = keras.Input(shape=(32, 32, 3))
    x = data_augmentation(inputs)
    x = layers.Rescaling(1. / 255)(x)
    x = layers.Conv2D(filters=16, kernel_size=3, activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def test_augmented_convnet_compiles_and_matches_eager():
    x, y = _images(48)
    histories = []
    for run_eagerly in (True, False):
        keras.utils.set_random_seed(7)
        model = _augmented_convnet()
        assert model.count_params() == 6241  # Keras: Total params: 6,241
        # jit_compile=True raises rather than falling back to eager: the random layers trace.
        model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"],
                      run_eagerly=run_eagerly, jit_compile=not run_eagerly)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            histories.append(model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-4)


@pytest.mark.parametrize("make", [lambda: layers.RandomFlip(seed=3), lambda: layers.RandomRotation(0.2, seed=2),
                                  lambda: layers.RandomZoom(0.3), lambda: layers.RandomTranslation(0.2, 0.1),
                                  lambda: layers.RandomContrast(0.4)])
def test_random_layers_draw_anew_on_each_compiled_call(make):
    x = tf.constant(np.random.default_rng(1).uniform(0, 255, (4, 9, 7, 3)).astype("float32"))
    layer = make()
    step = tf.function(lambda x: layer(x, training=True))
    tf.random.set_seed(5)
    eager = [layer(x, training=True).numpy() for _ in range(3)]
    tf.random.set_seed(5)
    compiled = [step(x).numpy() for _ in range(3)]
    assert step.experimental_get_tracing_count() == 1
    for e, c in zip(eager, compiled):
        np.testing.assert_allclose(c, e, rtol=1e-6, atol=1e-4)
    assert not np.allclose(compiled[1], compiled[2])  # a new draw per call, not one frozen into the graph


def test_residual_separable_block_counts_match_keras():
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Rescaling(1. / 255)(inputs)
    x = layers.Conv2D(filters=16, kernel_size=5, use_bias=False)(x)
    for size in [16, 32, 64]:
        residual = x
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", use_bias=False)(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same", use_bias=False)(residual)
        x = layers.add([x, residual])
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(x)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    # Keras: Total params: 14,561, Trainable params: 14,209, Non-trainable params: 352; 30 and 12 weights.
    assert model.count_params() == 14561
    assert (len(model.trainable_weights), len(model.non_trainable_weights)) == (30, 12)
    assert sum(int(np.prod(w.shape)) for w in model.non_trainable_weights) == 352
    assert model.output_shape == (None, 1)
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"], jit_compile=True)
    x, y = _images(64)
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_cnn_tutorial_with_uint8_labels_and_a_softmax_wrapper():
    rng = np.random.default_rng(1)
    images = rng.uniform(0, 0.5, (160, 32, 32, 3)).astype("float32")
    labels = rng.integers(0, 4, (160, 1)).astype("uint8")  # CIFAR-10's labels are uint8 of shape (n, 1)
    for i, c in enumerate(labels[:, 0]):
        r, q = divmod(int(c), 2)
        images[i, r * 16:(r + 1) * 16, q * 16:(q + 1) * 16] += 0.5
    keras.utils.set_random_seed(3)
    model = keras.models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    assert model.count_params() == 56320  # Keras: 56,320 before the dense head
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(10))
    assert model.count_params() == 122570  # Keras: Total params: 122,570
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(images[:128], labels[:128], epochs=4, validation_data=(images[128:], labels[128:]),
                        verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    test_loss, test_acc = model.evaluate(images[128:], labels[128:], verbose=0)
    assert test_acc > 0.6  # four classes
    # The int32 labels give the same loss as the uint8 ones.
    assert model.evaluate(images[128:], labels[128:].astype("int32"), verbose=0)[0] == pytest.approx(test_loss)
    # A Sequential around the trained model, built inside predict's compiled step.
    probability_model = keras.Sequential([model, layers.Softmax()])
    p = probability_model.predict(images[:5], verbose=0)
    np.testing.assert_allclose(p, tf.nn.softmax(model.predict(images[:5], verbose=0)).numpy(), rtol=1e-5, atol=1e-6)


class _GuideModel(keras.Model):
    """The Keras guide's train_step override, iterating ``self.metrics``."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_overridden_train_step_reports_the_compiled_metrics_as_builtin_fit():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(96, 8)).astype("float32")
    y = (x[:, :1] + 0.5 * x[:, 1:2]).astype("float32")
    histories = []
    for cls in (_GuideModel, keras.Model):
        keras.utils.set_random_seed(6)
        inputs = keras.Input(shape=(8,))
        model = cls(inputs, layers.Dense(1)(inputs))
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        if cls is _GuideModel:
            assert model.metrics_names == ["loss", "compile_metrics"]  # as Keras, until the first update
        histories.append(model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0).history)
        assert model.metrics_names == ["loss", "mae"]
    assert sorted(histories[0]) == ["loss", "mae"]  # Keras: ['loss', 'mae']
    for key in ("loss", "mae"):
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-5)


def test_gan_train_step_gets_the_lone_images_and_steps_two_optimizers():
    latent_dim = 8
    discriminator = keras.Sequential([keras.Input(shape=(32,)), layers.Dense(16), layers.LeakyReLU(negative_slope=0.2),
                                      layers.Dense(1)], name="discriminator")
    generator = keras.Sequential([keras.Input(shape=(latent_dim,)), layers.Dense(16),
                                  layers.LeakyReLU(negative_slope=0.2), layers.Dense(32)], name="generator")
    seen = []

    class GAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator, self.generator, self.latent_dim = discriminator, generator, latent_dim
            self.d_loss_metric = keras.metrics.Mean(name="d_loss")
            self.g_loss_metric = keras.metrics.Mean(name="g_loss")

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

        @property
        def metrics(self):
            return [self.d_loss_metric, self.g_loss_metric]

        def train_step(self, real_images):
            seen.append(tuple(real_images.shape))
            batch_size = tf.shape(real_images)[0]
            generated = self.generator(tf.random.normal(shape=(batch_size, self.latent_dim)))
            combined = tf.concat([generated, real_images], axis=0)
            labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
            labels += 0.05 * tf.random.uniform(tf.shape(labels))
            with tf.GradientTape() as tape:
                d_loss = self.loss_fn(labels, self.discriminator(combined))
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            with tf.GradientTape() as tape:
                fake = self.generator(tf.random.normal(shape=(batch_size, self.latent_dim)))
                g_loss = self.loss_fn(tf.zeros((batch_size, 1)), self.discriminator(fake))
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            self.d_loss_metric.update_state(d_loss)
            self.g_loss_metric.update_state(g_loss)
            return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}

    gan = GAN(discriminator, generator, latent_dim)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate=3e-4),
                g_optimizer=keras.optimizers.Adam(learning_rate=3e-4),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    images = np.random.default_rng(5).normal(size=(80, 32)).astype("float32")
    history = gan.fit(tf.data.Dataset.from_tensor_slices(images).shuffle(1024).batch(32), epochs=2, verbose=0)
    assert sorted(history.history) == ["d_loss", "g_loss"]
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 6
    assert seen[:3] == [(32, 32), (32, 32), (16, 32)]  # the images themselves, as Keras passes them
    history = gan.fit(images, epochs=1, batch_size=40, verbose=0)  # arrays without targets: the same
    assert seen[-1] == (40, 32) and np.isfinite(history.history["d_loss"][0])
