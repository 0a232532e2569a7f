"""keras.applications.vgg16."""

from tensorlet.keras.applications._common import preprocess_caffe as preprocess_input  # noqa: F401
from tensorlet.keras.applications.vgg import VGG16  # noqa: F401
