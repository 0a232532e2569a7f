"""Small standard datasets (``keras.datasets.mnist.load_data()``)."""

from tensorlet.keras.datasets import mnist
