"""A two-class linear classifier trained with a GradientTape, in plain tensor code.

Two Gaussian clouds of 1000 points each (means (0, 3) and (3, 0), covariance
[[1, .5], [.5, 1]]) are separated by a line ``x @ W + b = 0.5``: 40
full-batch gradient steps on the mean squared error, learning rate 0.1.

    python examples/linear_classifier.py

Prints the loss at each step and the final accuracy; saves the points and the
decision line to linear_classifier.png when matplotlib is installed.
"""

import numpy as np

import tensorlet as tf


def make_data(n_per_class=1000, seed=0):
    rng = np.random.default_rng(seed)
    cov = [[1.0, 0.5], [0.5, 1.0]]
    negatives = rng.multivariate_normal([0.0, 3.0], cov, size=n_per_class)
    positives = rng.multivariate_normal([3.0, 0.0], cov, size=n_per_class)
    inputs = np.vstack([negatives, positives]).astype(np.float32)
    targets = np.vstack([np.zeros((n_per_class, 1)), np.ones((n_per_class, 1))]).astype(np.float32)
    return inputs, targets


def train(steps=40, learning_rate=0.1, seed=0, verbose=True):
    """Trains the classifier; returns (W, b, losses, accuracy, inputs, targets)."""
    tf.random.set_seed(seed)
    inputs, targets = make_data(seed=seed)
    x, y = tf.constant(inputs), tf.constant(targets)
    W = tf.Variable(tf.random.uniform(shape=(2, 1)))
    b = tf.Variable(tf.zeros(shape=(1,)))

    def model(x):
        return tf.matmul(x, W) + b

    losses = []
    for step in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y - model(x)))
        grad_W, grad_b = tape.gradient(loss, [W, b])
        W.assign_sub(grad_W * learning_rate)
        b.assign_sub(grad_b * learning_rate)
        losses.append(float(loss))
        if verbose:
            print(f"step {step:2d}: loss {loss:.4f}")
    predicted = tf.cast(model(x) > 0.5, tf.float32)
    accuracy = float(tf.reduce_mean(tf.cast(tf.equal(predicted, y), tf.float32)))
    return W, b, losses, accuracy, inputs, targets


def plot(W, b, inputs, targets, path="linear_classifier.png"):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    w = W.numpy()[:, 0]
    xs = np.linspace(inputs[:, 0].min(), inputs[:, 0].max(), 100)
    # The decision line: w0 * x0 + w1 * x1 + b = 0.5.
    plt.figure(figsize=(5, 5))
    plt.scatter(inputs[:, 0], inputs[:, 1], c=targets[:, 0], s=4, cmap="coolwarm")
    plt.plot(xs, (0.5 - b.numpy()[0] - w[0] * xs) / w[1], "-k")
    plt.ylim(inputs[:, 1].min() - 0.5, inputs[:, 1].max() + 0.5)
    plt.title("two Gaussian clouds and the learned decision line")
    plt.savefig(path)
    plt.close()
    return path


def main():
    W, b, losses, accuracy, inputs, targets = train()
    print(f"final loss {losses[-1]:.4f}, accuracy {accuracy:.1%}")
    saved = plot(W, b, inputs, targets)
    if saved:
        print(f"plot saved to {saved}")


if __name__ == "__main__":
    main()
