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
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # compiled, with no eager fallback
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
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the step compiles (as Keras's does), with no eager fallback
        history = gan.fit(tf.data.Dataset.from_tensor_slices(images).shuffle(1024).batch(32), epochs=2, verbose=0)
    assert sorted(history.history) == ["d_loss", "g_loss"]
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 6
    assert set(seen) == {(32, 32), (16, 32)}  # the images themselves, as Keras passes them
    history = gan.fit(images, epochs=1, batch_size=40, verbose=0)  # arrays without targets: the same
    assert set(seen) == {(32, 32), (16, 32), (40, 32)} and np.isfinite(history.history["d_loss"][0])


def _image_folder(root, n=12, size=(20, 24)):
    """``root/cat`` and ``root/dog`` of PNGs: a bright patch top left (cat) or bottom right (dog)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            a = rng.integers(0, 60, size + (3,)).astype("uint8")
            if cls == "cat":
                a[2:9, 2:11] = 220
            else:
                a[11:18, 13:22] = 220
            Image.fromarray(a).save(root / cls / f"{cls}.{i}.png")
    return root


def test_image_classification_tutorial(tmp_path):
    data_dir = _image_folder(tmp_path / "photos")
    img_height = img_width = 24
    train_ds = keras.utils.image_dataset_from_directory(data_dir, validation_split=0.25, subset="training", seed=123,
                                                        image_size=(img_height, img_width), batch_size=6)
    val_ds = keras.utils.image_dataset_from_directory(data_dir, validation_split=0.25, subset="validation", seed=123,
                                                      image_size=(img_height, img_width), batch_size=6)
    class_names = train_ds.class_names
    train_ds = train_ds.cache().shuffle(1000).prefetch(buffer_size=tf.data.AUTOTUNE)
    data_augmentation = keras.Sequential([layers.RandomFlip("horizontal", input_shape=(img_height, img_width, 3)),
                                          layers.RandomRotation(0.1), layers.RandomZoom(0.1)])
    model = keras.Sequential([
        data_augmentation,  # its input shape builds the whole model, so summary() works before fit
        layers.Rescaling(1. / 255),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(32, activation="relu"),
        layers.Dense(len(class_names), name="outputs")])
    assert model.built and model.count_params() == 42050  # Keras: Total params: 42,050
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=0)
    assert history.epoch == [0, 1] and sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    img = keras.utils.load_img(str(data_dir / "cat" / "cat.0.png"), target_size=(img_height, img_width))
    img_array = keras.utils.img_to_array(img)
    assert img_array.shape == (24, 24, 3) and img_array.dtype == np.float32
    predictions = model.predict(tf.expand_dims(img_array, 0), verbose=0)
    score = tf.nn.softmax(predictions[0])
    assert predictions.shape == (1, 2) and float(tf.reduce_sum(score)) == pytest.approx(1.0)
    batch = next(val_ds.as_numpy_iterator())  # TensorFlow's iterator has next() too
    assert batch[0].shape[1:] == (24, 24, 3) and val_ds.as_numpy_iterator().next()[1].dtype == np.int32


def test_load_img_and_array_round_trip(tmp_path):
    a = np.random.default_rng(2).integers(0, 256, (5, 7, 3)).astype("uint8")
    keras.utils.save_img(tmp_path / "a.png", a, scale=False)
    img = keras.utils.load_img(tmp_path / "a.png")
    assert img.size == (7, 5)
    np.testing.assert_array_equal(keras.utils.img_to_array(img), a.astype("float32"))
    assert keras.utils.img_to_array(img, data_format="channels_first").shape == (3, 5, 7)
    gray = keras.utils.load_img(tmp_path / "a.png", color_mode="grayscale", target_size=(10, 14))
    assert keras.utils.img_to_array(gray).shape == (10, 14, 1)
    scaled = keras.utils.img_to_array(keras.utils.array_to_img(a.astype("float32") / 255.0))
    assert scaled.min() == 0 and scaled.max() == 255  # scale=True spans [0, 255]
    assert keras.preprocessing.image.load_img is keras.utils.load_img  # the Keras 2 home
    with pytest.raises(ValueError, match="color_mode"):
        keras.utils.load_img(tmp_path / "a.png", color_mode="cmyk")


def test_operators_on_keras_tensors_build_layers_that_save(tmp_path):
    inputs = keras.Input(shape=(4, 3))
    scaled = inputs / 127.5 - 1.0
    mixed = 2.0 * (-scaled) + scaled ** 2
    model = keras.Model(inputs, [scaled, mixed, 1 - inputs, inputs * inputs, inputs @ np.eye(3, dtype="float32")])
    x = np.random.default_rng(3).uniform(0, 255, (2, 4, 3)).astype("float32")
    s = x / 127.5 - 1.0
    expected = [s, -2 * s + s ** 2, 1 - x, x * x, x]
    got = model.predict(x, verbose=0)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-4)
    assert [layer.name for layer in model.layers[1:3]] == ["true_divide", "subtract"]
    model.save(tmp_path / "ops.keras")
    for g, e in zip(keras.models.load_model(tmp_path / "ops.keras").predict(x, verbose=0), got):
        np.testing.assert_array_equal(g, e)


def test_transfer_learning_tutorial_counts_match_keras():
    keras.utils.set_random_seed(8)
    x, y = _images(24)
    data_augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.2)])
    preprocess_input = keras.applications.mobilenet_v2.preprocess_input
    base_model = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None)
    assert base_model(x[:4]).shape == (4, 1, 1, 1280)
    base_model.trainable = False
    assert (len(base_model.trainable_variables), len(base_model.non_trainable_variables)) == (0, 260)
    inputs = keras.Input(shape=(32, 32, 3))
    h = data_augmentation(inputs)
    h = preprocess_input(h)  # arithmetic on a KerasTensor
    h = base_model(h, training=False)
    h = layers.GlobalAveragePooling2D()(h)
    h = layers.Dropout(0.2)(h)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(h))
    metrics = [keras.metrics.BinaryAccuracy(threshold=0.5, name="accuracy")]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4), loss=keras.losses.BinaryCrossentropy(),
                  metrics=metrics)
    # Keras: Total params: 2,259,265, Trainable params: 1,281; 2 trainable variables.
    assert model.count_params() == 2259265 and len(model.trainable_variables) == 2
    assert sum(int(np.prod(v.shape)) for v in model.trainable_variables) == 1281
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    base_model.trainable = True
    for layer in base_model.layers[:100]:
        layer.trainable = False
    model.compile(loss=keras.losses.BinaryCrossentropy(), optimizer=keras.optimizers.RMSprop(learning_rate=1e-5),
                  metrics=metrics)
    # Keras: Trainable params: 1,862,721, Non-trainable params: 396,544; 56 trainable variables.
    assert len(model.trainable_variables) == 56 and len(base_model.layers) == 154
    assert sum(int(np.prod(v.shape)) for v in model.trainable_variables) == 1862721
    frozen = [v.numpy() for v in base_model.layers[1].weights]
    history = model.fit(x, y, epochs=2, initial_epoch=len(history.epoch), batch_size=8, verbose=0)
    assert history.epoch == [1]
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(frozen, base_model.layers[1].weights))


def test_image_classification_from_scratch_example(tmp_path):
    """Keras's cats-vs-dogs example: subset='both', augmentation mapped over the dataset (random layers
    called directly augment, as in Keras 3), an Xception-like model, a checkpoint per epoch."""
    data_dir = _image_folder(tmp_path / "PetImages", n=10)
    assert tf.compat.as_bytes("JFIF") == b"JFIF" and tf.compat.as_text(b"JFIF") == "JFIF"
    keras.utils.set_random_seed(15)
    train_ds, val_ds = keras.utils.image_dataset_from_directory(data_dir, validation_split=0.2, subset="both",
                                                                seed=1337, image_size=(32, 32), batch_size=8)
    augmentation = [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)]

    def data_augmentation(images):
        for layer in augmentation:
            images = layer(images)
        return images

    images = next(iter(train_ds))[0]
    assert not np.array_equal(data_augmentation(images).numpy(), images.numpy())
    train_ds = train_ds.map(lambda img, label: (data_augmentation(img), label),
                            num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for size in [32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    x = layers.SeparableConv2D(128, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    model = keras.Model(inputs, layers.Dense(1, activation=None)(x))
    assert (model.count_params(), len(model.layers)) == (22641, 29)  # Keras: 22,641 parameters, 29 layers
    model.compile(optimizer=keras.optimizers.Adam(3e-4), loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(name="acc")])
    callbacks = [keras.callbacks.ModelCheckpoint(str(tmp_path / "save_at_{epoch}.keras"))]
    history = model.fit(train_ds, epochs=2, callbacks=callbacks, validation_data=val_ds, verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert (tmp_path / "save_at_1.keras").exists() and (tmp_path / "save_at_2.keras").exists()
    img_array = keras.ops.expand_dims(next(iter(val_ds))[0][0], 0)
    score = float(keras.ops.sigmoid(model.predict(img_array, verbose=0)[0][0]))
    assert 0.0 < score < 1.0


def test_normalization_adapted_on_a_dataset_counts_as_keras():
    x = np.random.default_rng(0).uniform(0, 255, (32, 20, 20, 3)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((x, np.zeros(32, "int32"))).batch(8)
    normalizer = layers.Normalization()
    normalizer.adapt(ds.map(lambda a, b: a))
    assert normalizer.mean.shape == normalizer.variance.shape == (1, 1, 1, 3)  # as Keras exposes them
    np.testing.assert_allclose(normalizer.mean.numpy().ravel(), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    model = keras.Sequential([keras.Input((20, 20, 3)), layers.Resizing(16, 16), layers.CenterCrop(12, 12),
                              normalizer, layers.Conv2D(4, 3, activation="relu"), layers.GlobalMaxPooling2D(),
                              layers.Dense(3, activation="softmax")])
    # Keras: Total params: 134, Trainable params: 127, Non-trainable params: 7 (mean, variance, count).
    assert model.count_params() == 134
    assert sum(int(np.prod(w.shape)) for w in model.non_trainable_weights) == 7


# What Keras 3.15 prints for this model on an 80-column terminal (rich wraps and cuts the cells).
_KERAS_SUMMARY = """\
Model: "resid"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ input_layer         │ (None, 32, 32, 3) │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ conv2d (Conv2D)     │ (None, 30, 30,    │        448 │ input_layer[0][0] │
│                     │ 16)               │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ separable_conv2d    │ (None, 30, 30,    │        416 │ conv2d[0][0]      │
│ (SeparableConv2D)   │ 16)               │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ add (Add)           │ (None, 30, 30,    │          0 │ separable_conv2d… │
│                     │ 16)               │            │ conv2d[0][0]      │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ global_average_poo… │ (None, 16)        │          0 │ add[0][0]         │
│ (GlobalAveragePool… │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ batch_normalization │ (None, 16)        │         64 │ global_average_p… │
│ (BatchNormalizatio… │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense (Dense)       │ (None, 1)         │         17 │ batch_normalizat… │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 945 (3.69 KB)
 Trainable params: 913 (3.57 KB)
 Non-trainable params: 32 (128.00 B)
"""


def test_summary_lays_out_the_table_as_keras(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(16, 3)(inputs)
    r = x
    x = layers.SeparableConv2D(16, 3, padding="same")(x)
    x = layers.add([x, r])
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.BatchNormalization()(x)
    model = keras.Model(inputs=inputs, outputs=layers.Dense(1, activation="sigmoid")(x), name="resid")
    model.summary()
    assert capsys.readouterr().out == _KERAS_SUMMARY
    scaled = keras.Model(inputs, inputs / 127.5 - 1.0)
    scaled.summary()
    out = capsys.readouterr().out
    assert "true_divide (TrueDivide)" in out and "subtract (Subtract)" in out and 'Model: "functional"' in out
    keras.Sequential([keras.Input((3,)), layers.Dense(2)])  # Keras's inner functional model takes a name
    wrapper = keras.Sequential([keras.Input((32, 32, 3)), scaled])
    wrapper.summary()
    assert "functional (Functional)" in capsys.readouterr().out
    assert keras.Model(inputs, inputs).name == "functional_3"  # as Keras counts them


def test_layer_order_and_nested_summary_as_keras(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    # Keras lists the layers by depth from the outputs: model.layers[i] and fine-tuning by index agree.
    base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))
    names = [layer.name for layer in base.layers]
    assert len(names) == 175 and names[40:52] == [  # Keras 3.15's ResNet50 order around a projection shortcut
        "conv3_block1_1_bn", "conv3_block1_1_relu", "conv3_block1_2_conv", "conv3_block1_2_bn", "conv3_block1_2_relu",
        "conv3_block1_0_conv", "conv3_block1_3_conv", "conv3_block1_0_bn", "conv3_block1_3_bn", "conv3_block1_add",
        "conv3_block1_out", "conv3_block2_1_conv"]
    base = keras.Sequential([keras.Input((8,)), layers.Dense(4), layers.BatchNormalization()], name="base")
    base.trainable = False  # reaches every layer inside, as in Keras
    assert [layer.trainable for layer in base.layers] == [False, False]
    a, b = keras.Input((8,), name="a"), keras.Input((8,), name="b")
    model = keras.Model([a, b], layers.Concatenate()([base(a), b]), name="two")
    assert [layer.name for layer in model.layers] == ["a", "base", "b", "concatenate"]
    model.summary(show_trainable=True, expand_nested=True)
    out = capsys.readouterr().out
    assert "│    └ dense        │ (None, 4)       │        36 │ -              │   N   │" in out
    assert "│ concatenate       │ (None, 12)      │         0 │ base[0][0],    │   -   │" in out


def _records(path):
    """The records of a TFRecord file, checking each frame's CRCs."""
    import struct

    from tensorlet.keras.utils.event_file import _masked_crc

    data, out, i = path.read_bytes(), [], 0
    while i < len(data):
        header = data[i:i + 8]
        n = struct.unpack("<Q", header)[0]
        assert struct.unpack("<I", data[i + 8:i + 12])[0] == _masked_crc(header)
        body = data[i + 12:i + 12 + n]
        assert struct.unpack("<I", data[i + 12 + n:i + 16 + n])[0] == _masked_crc(body)
        out.append(body)
        i += 16 + n
    return out


def test_tensorboard_callback_writes_event_files(tmp_path):
    from tensorlet.keras.utils.event_file import _masked_crc

    # TensorFlow's TFRecordWriter frames b"tensorlet" as these bytes (CRC-32C, masked).
    assert _masked_crc(bytes.fromhex("0900000000000000")) == 0x3971F937
    assert _masked_crc(b"tensorlet") == 0x53BA9A5D
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    history = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, validation_split=0.25, verbose=0,
                        callbacks=[keras.callbacks.TensorBoard(log_dir=tmp_path / "logs")])
    (train,), (val,) = (list((tmp_path / "logs" / d).iterdir()) for d in ("train", "validation"))
    assert train.name.startswith("events.out.tfevents.")
    records = _records(train)
    assert len(records) == 3 and b"brain.Event:2" in records[0] and b"epoch_loss" in records[1]
    # The first epoch's loss as a float32 simple_value (field 2 of a summary value).
    import struct
    assert b"\x15" + struct.pack("<f", history.history["loss"][0]) in records[1]
    assert len(_records(val)) == 3 and b"epoch_mae" in _records(val)[2]


def test_overridden_train_step_returning_get_metrics_result_compiles():
    class Custom(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            for metric in self.metrics:
                metric.update_state(loss) if metric.name == "loss" else metric.update_state(y, y_pred)
            return self.get_metrics_result()

    inputs = keras.Input((4,))
    model = Custom(inputs, layers.Dense(1)(inputs))
    model.compile("sgd", "mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # traced: get_metrics_result gives tensors inside the step
        history = model.fit(x, x[:, :1], epochs=2, batch_size=8, verbose=0).history
    assert sorted(history) == ["loss", "mae"] and history["loss"][1] < history["loss"][0]


def test_training_argument_resolution():
    class Scale(keras.layers.Layer):
        def call(self, x, training):  # no default: gets None outside fit, as before
            return x * (2.0 if training else 1.0)

    class Noisy(keras.layers.Layer):
        def call(self, x, training=True):  # its own default applies when nothing says otherwise (Keras 3)
            return x + (1.0 if training else 0.0)

    x = tf.ones((2,))
    assert Scale()(x).numpy().tolist() == [1.0, 1.0] and Scale()(x, training=True).numpy().tolist() == [2.0, 2.0]
    assert Noisy()(x).numpy().tolist() == [2.0, 2.0] and Noisy()(x, training=False).numpy().tolist() == [1.0, 1.0]
    model = keras.Sequential([keras.Input((2,)), Noisy()])
    assert model.predict(np.ones((1, 2)), verbose=0).tolist() == [[1.0, 1.0]]  # predict passes training=False


def test_sample_weight_custom_step_with_unpack():
    """The Keras guide's step that supports sample weights, through keras.utils.unpack_x_y_sample_weight."""
    class Weighted(keras.Model):
        def train_step(self, data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            for metric in self.metrics:
                metric.update_state(loss) if metric.name == "loss" else metric.update_state(y, y_pred, sample_weight)
            return {m.name: m.result() for m in self.metrics}

    assert keras.utils.pack_x_y_sample_weight([1, 2]) == ([1, 2],)  # as Keras packs a list of inputs
    assert keras.utils.unpack_x_y_sample_weight((1, 2)) == (1, 2, None)
    x = np.random.default_rng(1).normal(size=(32, 4)).astype("float32")
    y = x[:, :1] * 2
    histories = []
    for cls in (Weighted, keras.Model):
        keras.utils.set_random_seed(2)
        inputs = keras.Input((4,))
        model = cls(inputs, layers.Dense(1)(inputs))
        model.compile("sgd", "mse", metrics=["mae"])
        histories.append(model.fit(x, y, sample_weight=np.linspace(0.5, 1.5, 32), epochs=2, batch_size=8,
                                   shuffle=False, verbose=0).history)
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-5)
