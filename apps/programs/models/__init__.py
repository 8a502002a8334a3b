"""The sale's models (purchases and refunds). The points and rewards sub-packages own their
models; they are imported here only because Django discovers an app's models through this
module (app label `programs`, tables unchanged). Import them from their sub-package."""

from apps.programs.models.purchases import Purchase, Refund
from apps.programs.points import models as points_models
from apps.programs.rewards import models as rewards_models

__all__ = ["Purchase", "Refund", "points_models", "rewards_models"]
