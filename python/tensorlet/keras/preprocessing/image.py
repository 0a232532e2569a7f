"""``keras.preprocessing.image``: the Keras 2 home of the single-image utilities."""

from tensorlet.keras.utils.image_utils import array_to_img, img_to_array, load_img, save_img  # noqa: F401
