from crm.models import Contact
from pipelines.models import Stage


def test_new_workspace_has_default_pipeline(workspace):
    # given a new workspace / then it has the six default stages in order
    names = list(
        Stage.objects.for_workspace(workspace).order_by("position").values_list("name", flat=True)
    )
    assert names == ["Lead in", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
    assert Contact.objects.for_workspace(workspace).count() == 0
