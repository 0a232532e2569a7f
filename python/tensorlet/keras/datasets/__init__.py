"""The standard small datasets, as ``keras.datasets`` loads them (``mnist.load_data()``...),
read from Keras's cache folder (``~/.keras/datasets``, or ``$KERAS_HOME``)."""

from tensorlet.keras.datasets import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters
