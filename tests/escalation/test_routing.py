import pytest
from pydantic import ValidationError

from escalation.routing import queue_for, queues
from core.settings import RoutingSettings, load_settings

ROUTING = load_settings().routing


@pytest.mark.parametrize("category,queue", [("vpn", "network"), ("printer", "workplace"), ("password", "accounts"),
                                            ("security", "security"), ("lost_device", "security"),
                                            ("email", "collaboration"), ("VPN ", "network")])
def test_categories_go_to_their_team(category, queue):
    assert queue_for(ROUTING, category) == queue


@pytest.mark.parametrize("category", [None, "", "something-new"])
def test_unknown_goes_to_first_line(category):
    assert queue_for(ROUTING, category) == "first-line"


def test_every_catalogue_category_is_routed(project_root):
    import yaml

    catalogue = yaml.safe_load((project_root / "nlu_data" / "catalogue.yml").read_text(encoding="utf-8"))
    categories = {i["category"] for i in catalogue["intents"] if i.get("category")}
    assert categories <= set(ROUTING.categories), categories - set(ROUTING.categories)
    assert set(queues(ROUTING)) >= set(ROUTING.categories.values())


def test_routing_to_an_undeclared_queue_is_refused():
    with pytest.raises(ValidationError, match="nowhere"):
        RoutingSettings(categories={"vpn": "nowhere"})
