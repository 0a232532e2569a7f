"""Keras layers."""

from tensorlet.keras.layers.layer import InputSpec, Layer
from tensorlet.keras.layers.core import (
    Activation, Add, Concatenate, Dense, Dropout, Flatten, Input, InputLayer, Lambda, LeakyReLU, Multiply, ReLU,
    Reshape, Softmax,
)
from tensorlet.keras.layers.conv import Conv1D, Conv2D, Conv2DTranspose, Conv3D, DepthwiseConv2D, SeparableConv2D
from tensorlet.keras.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
    GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D,
    MaxPooling3D,
)
from tensorlet.keras.layers.normalization import BatchNormalization
from tensorlet.keras.layers.reshaping import (
    Cropping1D, Cropping2D, Cropping3D, UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D,
    ZeroPadding3D,
)
from tensorlet.keras.layers.preprocessing import (
    CenterCrop, Normalization, RandomBrightness, RandomContrast, RandomCrop, RandomFlip, RandomRotation,
    RandomTranslation, RandomZoom, Rescaling, Resizing,
)
from tensorlet.keras.layers.embedding import Embedding
from tensorlet.keras.layers.layer_norm import LayerNormalization
from tensorlet.keras.layers.masking import Masking
from tensorlet.keras.layers.merging import (
    Average, Dot, Maximum, Minimum, Subtract, add, average, concatenate, dot, maximum, minimum, multiply, subtract,
)
from tensorlet.keras.layers.noise import (
    GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
)
from tensorlet.keras.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell
from tensorlet.keras.layers.shape_layers import Identity, Permute, RepeatVector
from tensorlet.keras.layers.wrappers import Bidirectional, TimeDistributed

MaxPool2D, AvgPool2D, MaxPool1D, AvgPool1D, Convolution2D = (MaxPooling2D, AveragePooling2D, MaxPooling1D,
                                                            AveragePooling1D, Conv2D)
MaxPool3D, AvgPool3D, Convolution3D = MaxPooling3D, AveragePooling3D, Conv3D
Convolution1D, SeparableConvolution2D = Conv1D, SeparableConv2D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
