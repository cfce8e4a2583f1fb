import re
from tests.factories.ag import build_ag, text
import pytest

@pytest.fixture
def ag(app):
    return build_ag(app)

def test_probe(app, client_as, ag):
    c = client_as("protokoll")
    page = text(c.get(ag.url(2)))
    i = page.find("Genehmigt wo und wie")
    print(page[i-1500:i+800])
