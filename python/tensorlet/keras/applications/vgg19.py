"""keras.applications.vgg19."""

from tensorlet.keras.applications._common import preprocess_caffe as preprocess_input  # noqa: F401
from tensorlet.keras.applications.vgg import VGG19  # noqa: F401
