import pytest

from tests.support.sessions import sign_in


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)
