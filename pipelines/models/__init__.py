from pipelines.models.deals import Deal, DealContact, DealStatus, StageHistory
from pipelines.models.pipelines import LostReason, Pipeline, Stage, StageKind

__all__ = [
    "Deal",
    "DealContact",
    "DealStatus",
    "LostReason",
    "Pipeline",
    "Stage",
    "StageHistory",
    "StageKind",
]
