"""keras.applications.resnet50."""

from tensorlet.keras.applications._common import preprocess_caffe as preprocess_input  # noqa: F401
from tensorlet.keras.applications.resnet import ResNet50  # noqa: F401
