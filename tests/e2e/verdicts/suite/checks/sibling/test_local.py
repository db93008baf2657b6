import verdicts_state


def test_sees_its_own_conftest():
    assert verdicts_state.FLAGS["sibling_conftest"] is True
