"""tensorlet.train: object-based checkpoints (``tf.train.Checkpoint``,
``CheckpointManager``, ``latest_checkpoint``)."""

from tensorlet.train.checkpoint import Checkpoint, CheckpointManager, latest_checkpoint
