"""pytest-mock: mocker patches and undoes, spies, stubs; a failing
assertion on a stub carries the plugin's introspection."""
import os


def test_patch(mocker):
    mocker.patch("os.getcwd", return_value="/nowhere")
    assert os.getcwd() == "/nowhere"


def test_patch_was_undone():
    assert os.getcwd() != "/nowhere"


def test_spy(mocker):
    spy = mocker.spy(os.path, "join")
    os.path.join("a", "b")
    spy.assert_called_once_with("a", "b")


def test_stub_called_otherwise(mocker):
    stub = mocker.stub(name="callback")
    stub(1)
    stub.assert_called_once_with(2)
