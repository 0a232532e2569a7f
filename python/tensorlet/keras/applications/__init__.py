"""Keras applications: VGG16, VGG19, ResNet50 and MobileNetV2, built from the
layers with Keras's layer names and parameter counts; each also as a module
with its ``preprocess_input`` (``keras.applications.vgg16.preprocess_input``)."""

from tensorlet.keras.applications import mobilenet_v2, resnet50, vgg16, vgg19
from tensorlet.keras.applications.mobilenet_v2 import MobileNetV2
from tensorlet.keras.applications.resnet import ResNet50
from tensorlet.keras.applications.vgg import VGG16, VGG19

__all__ = ["MobileNetV2", "ResNet50", "VGG16", "VGG19", "mobilenet_v2", "resnet50", "vgg16", "vgg19"]
